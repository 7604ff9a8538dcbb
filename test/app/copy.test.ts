/**
 * Copying a backup to another region through the use cases and the real job
 * runner on a SQLite catalog: the copy becomes AVAILABLE in the region's
 * repository (which stock restic checks byte for byte), restores the same
 * bytes, survives a retried job with one snapshot, and is deleted from the
 * region's repository only. Bad requests create nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryptoRandom, systemClock } from '../../src/common/clock.js';
import { openCatalog, type Backup, type Job } from '../../src/catalog/index.js';
import type { AppContext, Principal } from '../../src/app/context.js';
import { createResource } from '../../src/app/resources.js';
import { getBackup, getJob, isSettled, requestBackup, requestDelete, requestRestore } from '../../src/app/backups.js';
import { requestCopy } from '../../src/app/copies.js';
import { copyForPolicy, createPolicy, scheduledBackup } from '../../src/app/policies.js';
import { copyHandler } from '../../src/app/copy-handler.js';
import { backupHandler, restoreHandler } from '../../src/app/job-handlers.js';
import { deleteHandler } from '../../src/app/delete-handler.js';
import { openTenantRepository, tenantRepositoryAccess } from '../../src/app/repositories.js';
import { loadSnapshots } from '../../src/engine/snapshots.js';
import { createRunner, type Runner } from '../../src/jobs/runner.js';
import { repoEnvironment } from '../../src/main/environment.js';

const RESTIC = '/usr/bin/restic';
const NO_RESTIC = existsSync(RESTIC) || process.env['HOLDFAST_REQUIRE_SERVICES'] === '1' ? false : 'restic is not installed';
const WHO: Principal = { tenantId: 't1', role: 'admin', credentialId: 'c1' };
const REGION = 'eu-frankfurt-1';

describe('copying a backup to another region', { skip: NO_RESTIC }, () => {
  let dir: string;
  let app: AppContext;
  let runner: Runner;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'holdfast-copy-app-'));
    mkdirSync(join(dir, 'home'));
    let wake = (): void => undefined;
    app = {
      catalog: await openCatalog(`sqlite:${join(dir, 'home', 'catalog.db')}`, systemClock), clock: systemClock, random: cryptoRandom,
      repoEnv: repoEnvironment(), dataDir: join(dir, 'home'), masterKey: cryptoRandom.bytes(32), toolEnv: process.env,
      jobsWaiting: () => wake(), regions: { [REGION]: join(dir, 'fra') }, region: 'us-ashburn-1',
    };
    runner = createRunner({
      catalog: app.catalog, clock: systemClock, owner: 'copy-test', pollMs: 20, backoffMs: 20,
      handlers: { backup: backupHandler(app), restore: restoreHandler(app), delete: deleteHandler(app), copy: copyHandler(app) },
    });
    wake = () => runner.wake();
    runner.start();
  });
  after(async () => {
    await runner.stop();
    await app.catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const settled = async (job: Job): Promise<Job> => {
    for (let i = 0; i < 1200; i++) {
      const now = await getJob(app, WHO, job.id);
      if (isSettled(now)) return now;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`job ${job.id} did not settle`);
  };
  const succeeded = async (job: Job): Promise<void> => {
    const end = await settled(job);
    assert.equal(end.state, 'SUCCEEDED', JSON.stringify(end.error));
  };
  const snapshotIds = async (region?: string): Promise<string[]> => (await loadSnapshots(await openTenantRepository(app, WHO.tenantId, region))).map((s) => s.id);
  const counts = async (): Promise<[number, number]> => [
    (await app.catalog.backups.list(WHO.tenantId, {}, { limit: 1000 })).items.length,
    (await app.catalog.jobs.list(WHO.tenantId, {}, { limit: 1000 })).items.length,
  ];

  let disk: string;
  let source: Backup;
  let copy: Backup;
  let copyJob: Job;

  it('copies an AVAILABLE backup into the region repository', async () => {
    disk = join(dir, 'disk.img');
    writeFileSync(disk, randomBytes(5 * 1024 * 1024 + 17));
    const resource = await createResource(app, WHO, { name: 'disk', driver: 'volume', config: { path: disk } });
    const b = await requestBackup(app, WHO, { resourceId: resource.id, type: 'FULL', name: 'nightly' });
    await succeeded(b.job);
    source = await getBackup(app, WHO, b.backup.id);
    assert.equal(source.state, 'AVAILABLE');

    const requested = await requestCopy(app, WHO, source.id, { region: REGION, extra: { displayName: 'x' } });
    assert.equal(requested.backup.state, 'CREATING');
    assert.equal(requested.backup.name, 'Copy of nightly');
    assert.deepEqual(requested.backup.extra, { displayName: 'x', region: REGION, sourceBackupId: source.id });
    assert.equal(requested.job.kind, 'copy');
    assert.equal(requested.job.mutating, false);
    assert.deepEqual(requested.job.params, { sourceBackupId: source.id });
    assert.equal(requested.job.backupId, requested.backup.id);
    copyJob = requested.job;
    await succeeded(copyJob);

    copy = await getBackup(app, WHO, requested.backup.id);
    assert.equal(copy.state, 'AVAILABLE');
    assert.equal(copy.extra['region'], REGION);
    assert.deepEqual(copy.extra['input'], source.extra['input']);
    assert.equal(copy.type, 'FULL');
    assert.equal(copy.logicalBytes, source.logicalBytes);
    assert.equal(copy.timeImaged, source.timeImaged);
    assert.ok(copy.timeAvailable !== null);
    assert.ok(copy.storedBytes! > 5 * 1024 * 1024, `stored ${copy.storedBytes}`);
    assert.equal(copy.snapshotIds.length, 1);
    assert.deepEqual(await snapshotIds(REGION), copy.snapshotIds, 'the copy lives in the region');
    assert.deepEqual(await snapshotIds(), source.snapshotIds, 'the home repository is unchanged');

    const access = await tenantRepositoryAccess(app, WHO.tenantId, REGION);
    assert.equal(access.location, join(dir, 'fra', 'repos', WHO.tenantId));
    assert.equal(access.password, (await tenantRepositoryAccess(app, WHO.tenantId)).password, 'one password for every region');
    const listed = restic(access, ['snapshots', '--json']);
    assert.equal(JSON.parse(listed)[0].original, source.snapshotIds[0]);
    restic(access, ['check', '--read-data']);
  });

  it('ends with exactly one snapshot when the copy job runs again after a crash', async () => {
    // As if killed after writing the snapshot, before recording it.
    await app.catalog.backups.update(WHO.tenantId, copy.id, { state: 'CREATING', snapshotIds: [] });
    await copyHandler(app)({ ...copyJob, attempts: 2 }, { signal: new AbortController().signal, progress: () => undefined });
    const again = await getBackup(app, WHO, copy.id);
    assert.equal(again.state, 'AVAILABLE');
    assert.equal(again.snapshotIds.length, 1);
    assert.notDeepEqual(again.snapshotIds, copy.snapshotIds);
    assert.deepEqual(await snapshotIds(REGION), again.snapshotIds, 'the unrecorded snapshot was forgotten');
    assert.ok(again.storedBytes! < 1024 * 1024, 'the data the first attempt stored is reused');
    copy = again;
  });

  it('restores the copy from the region repository', async () => {
    const target = join(dir, 'restored.img');
    await succeeded(await requestRestore(app, WHO, copy.id, { path: target }));
    assert.ok(readFileSync(target).equals(readFileSync(disk)));
  });

  it('refuses an unknown region, the backup\'s own region and a backup not AVAILABLE, creating nothing', async () => {
    const before = await counts();
    const code = (c: string) => (err: { code?: string }) => err.code === c;
    await assert.rejects(requestCopy(app, WHO, source.id, { region: 'mars-north-1' }), code('INVALID_ARGUMENT'));
    await assert.rejects(requestCopy(app, WHO, source.id, { region: 'us-ashburn-1' }), code('INVALID_ARGUMENT'));
    await assert.rejects(requestCopy(app, WHO, copy.id, { region: REGION }), code('INVALID_ARGUMENT'));
    await assert.rejects(requestCopy(app, WHO, source.id, {} as { region: string }), code('INVALID_ARGUMENT'));
    await assert.rejects(requestCopy(app, WHO, 'bak_nope', { region: REGION }), code('NOT_FOUND'));
    await assert.rejects(openTenantRepository(app, WHO.tenantId, 'mars-north-1'), code('INVALID_ARGUMENT'));
    await app.catalog.backups.update(WHO.tenantId, source.id, { state: 'FAILED' });
    await assert.rejects(requestCopy(app, WHO, source.id, { region: REGION }), code('CONFLICT'));
    await app.catalog.backups.update(WHO.tenantId, source.id, { state: 'AVAILABLE' });
    assert.deepEqual(await counts(), before);
  });

  it('deletes the copy from the region repository only', async () => {
    await succeeded(await requestDelete(app, WHO, copy.id));
    assert.equal((await app.catalog.backups.get(WHO.tenantId, copy.id))?.state, 'DELETED');
    assert.deepEqual(await snapshotIds(REGION), []);
    assert.deepEqual(await snapshotIds(), source.snapshotIds, 'the source snapshot stays at home');
  });

  it('copies a copy back home', async () => {
    const again = await requestCopy(app, WHO, source.id, { region: REGION, name: 'fra copy' });
    await succeeded(again.job);
    const home = await requestCopy(app, WHO, again.backup.id, { region: 'us-ashburn-1' });
    await succeeded(home.job);
    const back = await getBackup(app, WHO, home.backup.id);
    assert.equal(back.name, 'Copy of fra copy');
    assert.equal((await snapshotIds()).length, 2);
    assert.ok(back.storedBytes! < 1024 * 1024, 'home already holds the data');
    const target = join(dir, 'restored-home.img');
    await succeeded(await requestRestore(app, WHO, back.id, { path: target }));
    assert.ok(readFileSync(target).equals(readFileSync(disk)));
  });

  it('copies a scheduled backup of a policy with copyToRegion; a copy that cannot be queued is noted on the backup', async () => {
    const resource = (await app.catalog.resources.list(WHO.tenantId, { limit: 10 })).items.find((r) => r.name === 'disk')!;
    await assert.rejects(createPolicy(app, WHO, { name: 'bad', resourceIds: [resource.id], schedule: '0 * * * *', copyToRegion: 'us-ashburn-1' }), /already live in region/);
    const policy = await createPolicy(app, WHO, { name: 'dr', resourceIds: [resource.id], schedule: '0 * * * *', copyToRegion: REGION });
    assert.equal(policy.copyToRegion, REGION);
    const { backupId } = await scheduledBackup(app)({ tenantId: WHO.tenantId, resourceId: resource.id, policy });
    await succeeded(await getJob(app, WHO, (await getBackup(app, WHO, backupId)).jobId!));
    let copies: Backup[] = [];
    for (let i = 0; i < 400 && copies.length === 0; i++) {
      copies = (await app.catalog.backups.list(WHO.tenantId, {}, { limit: 1000 })).items.filter((b) => b.extra['sourceBackupId'] === backupId);
      if (copies.length === 0) await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(copies.length, 1, 'the policy queued one copy');
    await succeeded(await getJob(app, WHO, copies[0]!.jobId!));
    assert.equal((await getBackup(app, WHO, copies[0]!.id)).extra['region'], REGION);

    // The region left the configuration: the backup stays AVAILABLE, with the reason, and no copy is made.
    const before = await counts();
    await copyForPolicy({ ...app, regions: {} }, await getBackup(app, WHO, backupId));
    const after = await getBackup(app, WHO, backupId);
    assert.equal(after.state, 'AVAILABLE');
    assert.match(String(after.extra['copyError']), /unknown region "eu-frankfurt-1"/);
    assert.deepEqual(await counts(), before);
  });
});

function restic(access: { location: string; password: string }, args: string[]): string {
  const r = spawnSync(RESTIC, ['-r', access.location, ...args], { env: { ...process.env, RESTIC_PASSWORD: access.password }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}
