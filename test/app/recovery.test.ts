/**
 * Recovery (src/app/recovery.ts) on this machine's PostgreSQL (127.0.0.1:5432,
 * postgres, trust) and MariaDB (127.0.0.1:3306, root, no password), run by a
 * real server's runner. Per engine: a scratch database is backed up (dump A,
 * tagged as the PaaS dialect tags), changed and backed up again (dump B), then
 * changed again. Recovering by tag and by a time between the two backups must
 * give dump A exactly, the latest dump B; the history lists the three newest
 * first; no match is NOT_FOUND, a busy resource CONFLICT; keepForever takes
 * the chosen backup out of retention's reach, and a refused recovery does not.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isHoldfastError, type ErrorCode } from '../../src/common/errors.js';
import type { Backup } from '../../src/catalog/index.js';
import { listRecoveries, requestRecovery, type RecoveryChoice } from '../../src/app/recovery.js';
import { backupsToDelete } from '../../src/jobs/retention.js';
import { serviceSkip, uniqueName } from '../source/helpers.js';
import { SAMPLE_ENGINES } from '../source/sample-databases.js';
import { startAppServer, type AppServer } from './app-server.js';

const ENGINES = SAMPLE_ENGINES;

const TAG_A = 'TAG20261201T120000';
const TAG_B = 'TAG20261201T130000';

const code = (c: ErrorCode) => (e: unknown): boolean => isHoldfastError(e, c);

for (const engine of ENGINES) {
  const skip = await serviceSkip(engine.name, engine.port);

  describe(`recovery on ${engine.name}`, { skip }, () => {
    let s: AppServer;
    const db = uniqueName('holdfast_recover');
    let resourceId = '';
    let dumpA = '';
    let dumpB = '';
    let a: Backup | undefined;
    let b: Backup | undefined;

    const recover = async (choice: RecoveryChoice, opts?: { keepForever?: boolean }): Promise<{ backupId: string }> => {
      const { job, backup } = await requestRecovery(s.app, s.who, resourceId, choice, opts);
      assert.deepEqual(job.params, { target: { recreate: true }, recovery: choice });
      const done = await s.waitForJob(job.id);
      assert.equal(done.state, 'SUCCEEDED', JSON.stringify(done.error));
      return { backupId: backup.id };
    };

    before(async () => {
      s = await startAppServer(`recover-${engine.driver}`);
      await engine.createDb(db);
      await engine.sql(db, engine.schema);
      resourceId = await s.createResource(`db-${engine.driver}`, engine.driver, engine.config(db));
      dumpA = await engine.dump(db);
      a = await s.backup({ resourceId, type: 'FULL', extra: { dbTag: TAG_A } });
      await engine.sql(db, engine.changes[0]);
      dumpB = await engine.dump(db);
      b = await s.backup({ resourceId, type: 'FULL', extra: { dbTag: TAG_B } });
      await engine.sql(db, engine.changes[1]);
    });

    after(async () => {
      await engine.dropDb(db).catch(() => undefined);
      await s?.stop();
    });

    it('recovers by tag, by a time between the backups, and the latest, each to its backup\'s exact dump', async () => {
      assert.ok(a && b, 'both backups were made');
      assert.notEqual(dumpA, dumpB);
      assert.notEqual(await engine.dump(db), dumpB, 'changed again after the second backup');

      assert.equal((await recover({ tag: TAG_A })).backupId, a.id);
      assert.equal(await engine.dump(db), dumpA);

      await engine.sql(db, engine.changes[0]);
      const between = a.timeAvailable!;
      assert.ok(Date.parse(a.timeImaged!) <= Date.parse(between) && Date.parse(between) < Date.parse(b.timeImaged!), 'the time lies between the two images');
      assert.equal((await recover({ timestamp: between })).backupId, a.id);
      assert.equal(await engine.dump(db), dumpA);

      assert.equal((await recover({ latest: true })).backupId, b.id);
      assert.equal(await engine.dump(db), dumpB);
    });

    it('lists the recoveries newest first with their choices and backups', async () => {
      const history = await listRecoveries(s.app, s.who, resourceId);
      assert.deepEqual(history.map((r) => r.choice), [{ latest: true }, { timestamp: a!.timeAvailable }, { tag: TAG_A }]);
      assert.deepEqual(history.map((r) => r.backupId), [b!.id, a!.id, a!.id]);
      assert.ok(history.every((r) => r.job.state === 'SUCCEEDED' && r.job.kind === 'restore'));
    });

    it('answers NOT_FOUND when no backup matches and INVALID_ARGUMENT for a bad choice', async () => {
      await assert.rejects(requestRecovery(s.app, s.who, resourceId, { tag: 'TAG20000101T000000' }), code('NOT_FOUND'));
      const before_ = new Date(Date.parse(a!.timeImaged!) - 1000).toISOString().replace(/Z$/, '');
      await assert.rejects(requestRecovery(s.app, s.who, resourceId, { timestamp: before_ }), code('NOT_FOUND'), 'a time without offset is UTC');
      await assert.rejects(requestRecovery(s.app, s.who, resourceId, { timestamp: '01-Dec-2026 12:00:00' }), code('INVALID_ARGUMENT'));
      await assert.rejects(requestRecovery(s.app, s.who, resourceId, { latest: true, tag: TAG_A } as never), code('INVALID_ARGUMENT'));
      await assert.rejects(requestRecovery(s.app, s.who, 'res_nope', { latest: true }), code('NOT_FOUND'));
      assert.equal((await listRecoveries(s.app, s.who, resourceId)).length, 3, 'refused requests queue nothing');
    });

    it('refuses a recovery while another job holds the resource, leaving keepForever as it was; keepForever then exempts the backup from retention', async () => {
      const scheduled = async (): Promise<Backup[]> =>
        (await Promise.all([a!, b!].map((x) => s.app.catalog.backups.get(s.who.tenantId, x.id)))).map((x) => ({ ...x!, source: 'SCHEDULED' as const }));
      const retentionDeletes = async (): Promise<string[]> => backupsToDelete(await scheduled(), { keepLast: 1 }, Date.now());
      assert.deepEqual(await retentionDeletes(), [a!.id], 'as SCHEDULED backups, keepLast 1 would delete the older');

      const first = await requestRecovery(s.app, s.who, resourceId, { latest: true });
      await assert.rejects(requestRecovery(s.app, s.who, resourceId, { tag: TAG_A }, { keepForever: true }), code('CONFLICT'));
      assert.equal((await s.app.catalog.backups.get(s.who.tenantId, a!.id))!.keepForever, false);
      assert.equal((await s.waitForJob(first.job.id)).state, 'SUCCEEDED');

      const kept = await recover({ tag: TAG_A }, { keepForever: true });
      assert.equal(kept.backupId, a!.id);
      assert.equal((await s.app.catalog.backups.get(s.who.tenantId, a!.id))!.keepForever, true);
      assert.deepEqual(await retentionDeletes(), [], 'keep-forever backups are never deleted by retention');
      assert.equal(await engine.dump(db), dumpA);
    });
  });
}
