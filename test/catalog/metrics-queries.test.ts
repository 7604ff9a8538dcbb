/**
 * The catalog queries behind /metrics and /readyz on every dialect: job counts
 * by state over all tenants (every state present, zeros included), the sum of
 * stored bytes over AVAILABLE backups only (past 2^32, as PostgreSQL answers
 * bigint sums as text), and the readiness ping.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { Backup, BackupState, Catalog } from '../../src/catalog/index.js';
import { forEachTarget, testClock, useCatalog, type Target } from './targets.js';

function backup(id: string, tenantId: string, state: BackupState, storedBytes: number | null): Backup {
  return {
    id, tenantId, resourceId: 'res_1', name: id, description: '', type: 'FULL', source: 'MANUAL', state,
    logicalBytes: storedBytes, storedBytes, snapshotIds: [], timeRequested: '2026-01-01T00:00:00.000Z', timeImaged: null,
    timeAvailable: null, expiresAt: null, keepForever: false, tags: {}, parentId: null, jobId: null, extra: {},
  };
}

async function job(c: Catalog, id: string, tenantId: string): Promise<void> {
  await c.jobs.create({ id, tenantId, kind: 'backup', resourceId: null, backupId: null, mutating: false, params: {} });
}

function suite(target: Target): void {
  const catalog = useCatalog(target, testClock());

  it('counts jobs by state over every tenant, zeros included', async () => {
    const c = catalog();
    assert.deepEqual(await c.jobs.countByState(), { ACCEPTED: 0, IN_PROGRESS: 0, SUCCEEDED: 0, FAILED: 0, CANCELED: 0 });
    for (const [id, tenant] of [['j1', 't1'], ['j2', 't1'], ['j3', 't2'], ['j4', 't2']] as const) await job(c, id, tenant);
    const a = await c.jobs.claim('w', 60_000);
    const b = await c.jobs.claim('w', 60_000);
    await c.jobs.finish(a!.id, 'w', 'SUCCEEDED');
    await c.jobs.requestCancel('t2', 'j4');
    assert.deepEqual(await c.jobs.countByState(), { ACCEPTED: 1, IN_PROGRESS: 1, SUCCEEDED: 1, FAILED: 0, CANCELED: 1 });
    await c.jobs.finish(b!.id, 'w', 'FAILED', { code: 'INTERNAL', message: 'x' });
    assert.equal((await c.jobs.countByState()).FAILED, 1);
  });

  it('sums stored bytes of available backups only, over every tenant', async () => {
    const c = catalog();
    assert.equal(await c.backups.storedBytesTotal(), 0);
    await c.backups.create(backup('b1', 't1', 'AVAILABLE', 5 * 2 ** 32));
    await c.backups.create(backup('b2', 't2', 'AVAILABLE', 123));
    await c.backups.create(backup('b3', 't1', 'CREATING', 1000));
    await c.backups.create(backup('b4', 't1', 'FAILED', 77));
    await c.backups.create(backup('b5', 't2', 'AVAILABLE', null));
    assert.equal(await c.backups.storedBytesTotal(), 5 * 2 ** 32 + 123);
    await c.backups.update('t1', 'b3', { state: 'AVAILABLE' });
    assert.equal(await c.backups.storedBytesTotal(), 5 * 2 ** 32 + 1123);
  });

  it('answers the readiness ping', async () => {
    await catalog().ping();
  });
}

forEachTarget(suite);
