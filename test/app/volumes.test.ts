/**
 * The volume use cases against a real (in-memory SQLite) catalog, where the
 * job states are set by hand: a restore asked for while the backup's own job
 * is being settled waits for it; any other job on the source refuses it and
 * registers nothing; deleting a volume cancels a queued restore, refuses a
 * running one, and leaves a record found for the visibility window only.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryptoRandom } from '../../src/common/clock.js';
import { isHoldfastError } from '../../src/common/errors.js';
import { openCatalog, type Backup } from '../../src/catalog/index.js';
import type { AppContext, Principal } from '../../src/app/context.js';
import { createResource } from '../../src/app/resources.js';
import {
  allVolumes, deletedVolume, deletedVolumes, deleteVolume, restoreIntoNewVolume, volumeView, RESTORE_JOB_ATTRIBUTE, SOURCE_BACKUP_ATTRIBUTE,
} from '../../src/app/volumes.js';
import { repoEnvironment } from '../../src/main/environment.js';
import { testClock } from '../catalog/targets.js';

const who: Principal = { tenantId: 'ten_1', role: 'admin', credentialId: 'cred_1' };
const OWNER = 'test-runner';

describe('volume use cases', () => {
  const clock = testClock();
  const dir = mkdtempSync(join(tmpdir(), 'holdfast-volumes-app-'));
  let app: AppContext;
  let sourceId = '';

  before(async () => {
    app = {
      catalog: await openCatalog('sqlite::memory:', clock), clock, random: cryptoRandom, repoEnv: repoEnvironment(),
      dataDir: dir, volumesDir: join(dir, 'vols'), masterKey: cryptoRandom.bytes(32), toolEnv: {}, jobsWaiting: () => undefined,
    };
    writeFileSync(join(dir, 'disk.img'), Buffer.alloc(5000, 1));
    sourceId = (await createResource(app, who, { name: 'disk', driver: 'volume', config: { path: join(dir, 'disk.img') } })).id;
  });
  after(async () => {
    await app.catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** An AVAILABLE backup of the source whose backup job is still IN_PROGRESS (claimed by OWNER), as right before the runner settles it. */
  async function settlingBackup(id: string): Promise<Backup> {
    const jobId = `job_${id}`;
    const backup: Backup = {
      id, tenantId: who.tenantId, resourceId: sourceId, name: id, description: '', type: 'FULL', source: 'MANUAL', state: 'AVAILABLE',
      logicalBytes: 5000, storedBytes: 100, snapshotIds: ['a'.repeat(64)], timeRequested: '2026-01-01T00:00:00.000Z', timeImaged: null,
      timeAvailable: null, expiresAt: null, keepForever: false, tags: {}, parentId: null, jobId, extra: { input: { kind: 'paths', paths: [join(dir, 'disk.img')] } },
    };
    await app.catalog.backups.create(backup);
    await app.catalog.jobs.create({ id: jobId, tenantId: who.tenantId, kind: 'backup', resourceId: sourceId, backupId: id, mutating: true, params: {} });
    assert.equal((await app.catalog.jobs.claim(OWNER, 60_000))?.id, jobId);
    return backup;
  }

  async function settle(jobId: string, state: 'SUCCEEDED' | 'FAILED' = 'SUCCEEDED'): Promise<void> {
    assert.equal(await app.catalog.jobs.finish(jobId, OWNER, state), true);
  }

  it('waits for the backup\'s own job to be settled, then queues the restore and registers the volume', async () => {
    const backup = await settlingBackup('bak_1');
    const started = performance.now();
    const restoring = restoreIntoNewVolume(app, who, { backupId: backup.id, attributes: { ociCompartmentId: 'c1' } });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await allVolumes(app, who)).length, 1, 'nothing registered while the backup job holds the source');
    await settle(backup.jobId!);
    const { resource, job } = await restoring;
    assert.ok(performance.now() - started >= 300);
    assert.equal(job.kind, 'restore');
    assert.deepEqual(job.params, { target: { path: join(dir, 'vols', resource.name) } });
    assert.equal((resource.config as { path: string }).path, join(dir, 'vols', resource.name));
    assert.deepEqual(resource.attributes, { ociCompartmentId: 'c1', [SOURCE_BACKUP_ATTRIBUTE]: backup.id, [RESTORE_JOB_ATTRIBUTE]: job.id });
    const view = await volumeView(app, who, resource);
    assert.equal(view.state, 'RESTORING');
    assert.equal(view.sizeBytes, 5000, 'the backup\'s logical size until the data exists');

    // Deleting it while the restore is only queued cancels the restore.
    await deleteVolume(app, who, resource.id);
    assert.equal((await app.catalog.jobs.get(who.tenantId, job.id))?.state, 'CANCELED');
    assert.deepEqual((await allVolumes(app, who)).map((r) => r.id), [sourceId]);
  });

  it('refuses a restore while another job holds the source, registering nothing', async () => {
    const backup = await settlingBackup('bak_2');
    await settle(backup.jobId!);
    await app.catalog.jobs.create({ id: 'job_other', tenantId: who.tenantId, kind: 'backup', resourceId: sourceId, backupId: null, mutating: true, params: {} });
    await assert.rejects(restoreIntoNewVolume(app, who, { backupId: backup.id }), (err: unknown) => isHoldfastError(err, 'CONFLICT'));
    assert.equal((await allVolumes(app, who)).length, 1);
    assert.equal((await app.catalog.jobs.claim(OWNER, 60_000))?.id, 'job_other');
    await settle('job_other');
  });

  it('refuses to delete a volume being restored, and then keeps its record for the window', async () => {
    const { resource, job } = await restoreIntoNewVolume(app, who, { backupId: 'bak_2' });
    assert.equal((await app.catalog.jobs.claim(OWNER, 60_000))?.id, job.id);
    await assert.rejects(deleteVolume(app, who, resource.id), (err: unknown) => isHoldfastError(err, 'CONFLICT'));
    await settle(job.id, 'FAILED');
    assert.equal((await volumeView(app, who, resource)).state, 'FAILED');
    const since = new Date(Number(clock.nowNs() / 1_000_000n)).toISOString();
    assert.deepEqual(await deleteVolume(app, who, resource.id), { dataRemoved: true });
    const gone = await deletedVolume(app, who, resource.id, since);
    assert.equal(gone?.state, 'DELETED');
    assert.deepEqual(gone?.resource.attributes, resource.attributes);
    assert.ok((await deletedVolumes(app, who, since)).some((v) => v.resource.id === resource.id));
    clock.advance(1000);
    const later = new Date(Number(clock.nowNs() / 1_000_000n)).toISOString();
    assert.equal(await deletedVolume(app, who, resource.id, later), undefined, 'outside the window it is gone');
    assert.ok(!(await deletedVolumes(app, who, later)).some((v) => v.resource.id === resource.id));
    await assert.rejects(deleteVolume(app, who, resource.id), (err: unknown) => isHoldfastError(err, 'NOT_FOUND'));
  });

  it('unregisters a user\'s own volume without touching its data', async () => {
    assert.deepEqual(await deleteVolume(app, who, sourceId), { dataRemoved: false });
    assert.equal((await allVolumes(app, who)).length, 0);
    assert.ok(readFileSync(join(dir, 'disk.img')).equals(Buffer.alloc(5000, 1)));
  });
});
