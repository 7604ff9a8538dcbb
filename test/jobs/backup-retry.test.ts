/**
 * The backup handler on a retried job (after a kill, a crash or a stop): it
 * removes the repository locks the dead attempt left, drops a snapshot that
 * attempt wrote but never recorded, and ends with exactly one snapshot for
 * the backup; a backup already recorded AVAILABLE is not backed up again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryptoRandom, systemClock } from '../../src/common/clock.js';
import { openCatalog, type Job } from '../../src/catalog/index.js';
import type { AppContext, Principal } from '../../src/app/context.js';
import { createResource } from '../../src/app/resources.js';
import { requestBackup } from '../../src/app/backups.js';
import { backupHandler } from '../../src/app/job-handlers.js';
import { openTenantRepository } from '../../src/app/repositories.js';
import { createRepository } from '../../src/repository/repository.js';
import { acquireLock, listLocks } from '../../src/repository/lock.js';
import { loadSnapshots } from '../../src/engine/snapshots.js';
import { repoEnvironment } from '../../src/main/environment.js';

const WHO: Principal = { tenantId: 't1', role: 'admin', credentialId: 'c1' };
const ctx = { signal: new AbortController().signal, progress: () => undefined };

describe('a retried backup job', () => {
  let dir: string;
  let app: AppContext;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'holdfast-retry-'));
    app = {
      catalog: await openCatalog('sqlite::memory:', systemClock), clock: systemClock, random: cryptoRandom, repoEnv: repoEnvironment(),
      dataDir: join(dir, 'data'), masterKey: cryptoRandom.bytes(32), toolEnv: process.env, jobsWaiting: () => undefined,
    };
  });
  after(async () => {
    await app.catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const snapshotsOf = async (backupId: string): Promise<string[]> => {
    const repo = await openTenantRepository(app, WHO.tenantId);
    return (await loadSnapshots(repo)).filter((s) => s.snapshot.tags?.includes(`holdfast-backup=${backupId}`)).map((s) => s.id);
  };

  it('replaces an unrecorded snapshot, removes a dead attempt\'s lock, and does not redo an AVAILABLE backup', async () => {
    const src = join(dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'a.txt'), 'alpha\n');
    const resource = await createResource(app, WHO, { name: 'docs', driver: 'volume', config: { path: src } });
    const { backup, job } = await requestBackup(app, WHO, { resourceId: resource.id, type: 'FULL' });
    const run = backupHandler(app);
    const attempt = (n: number): Job => ({ ...job, attempts: n });

    await run(attempt(1), ctx);
    const first = await app.catalog.backups.get(WHO.tenantId, backup.id);
    assert.equal(first?.state, 'AVAILABLE');
    assert.deepEqual(await snapshotsOf(backup.id), first?.snapshotIds);

    // As if the first attempt was killed after writing its snapshot, before recording it, holding a lock.
    await app.catalog.backups.update(WHO.tenantId, backup.id, { state: 'CREATING', snapshotIds: [] });
    const dead = spawnSync('true').pid!;
    const repo = await openTenantRepository(app, WHO.tenantId);
    const ghost = createRepository(repo, { ...app.repoEnv, pid: dead });
    await acquireLock(ghost, { exclusive: false, recheckDelayMs: 0 });
    assert.equal((await listLocks(repo)).length, 1);

    await run(attempt(2), ctx);
    const second = await app.catalog.backups.get(WHO.tenantId, backup.id);
    assert.equal(second?.state, 'AVAILABLE');
    assert.equal(second?.snapshotIds.length, 1);
    assert.notDeepEqual(second?.snapshotIds, first?.snapshotIds);
    assert.deepEqual(await snapshotsOf(backup.id), second?.snapshotIds, 'exactly one snapshot: the unrecorded one was forgotten');
    assert.deepEqual(await listLocks(repo), [], 'the dead attempt\'s lock is gone');

    await run(attempt(3), ctx);
    assert.deepEqual(await snapshotsOf(backup.id), second?.snapshotIds, 'an AVAILABLE backup is not backed up again');
  });
});
