/**
 * OCI volume backup policies and assignments through the OCI SDK: a policy
 * with an hourly schedule assigned to a volume makes a SCHEDULED backup whose
 * expirationTime is its request time plus the schedule's retention, and the
 * retention pass deletes it once expired (also after the assignment ended,
 * which stops new backups). The scheduler is driven by hand on a clock the
 * test moves, over the server's own catalog; the server's runner does the jobs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import * as core from 'oci-core';
import type { AppContext } from '../../../src/app/context.js';
import { retentionDelete, scheduledBackup } from '../../../src/app/policies.js';
import type { Catalog } from '../../../src/catalog/index.js';
import { cryptoRandom } from '../../../src/common/clock.js';
import { createScheduler, type Scheduler } from '../../../src/jobs/scheduler.js';
import { useApiServer } from '../api-fixture.js';
import { openFor } from '../open-catalog.js';
import { blockstorageClient, COMPARTMENT, enableOci, fileVolume, newKey, TENANCY, waiters } from './oci-fixture.js';

const State = core.models.VolumeBackup.LifecycleState;
const HOUR = 3_600_000;
const RETENTION_S = 2 * 3600;

const ms = (t: unknown): number => new Date(t as string | Date).getTime();

async function rejectsWith(p: Promise<unknown>, status: number, code: string): Promise<void> {
  await assert.rejects(p, (e: { statusCode?: number; serviceCode?: string }) => e.statusCode === status && e.serviceCode === code);
}

describe('OCI volume backup policies through the OCI SDK', () => {
  const api = useApiServer('holdfast-oci-policies-');
  const key = newKey();
  let client: core.BlockstorageClient;
  let catalog: Catalog;
  let scheduler: Scheduler;
  let nowMs = 0;
  let tick = 0;
  let policyId = '';
  let volume: { ocid: string; id: string };
  let assignmentId = '';
  let backupOcid = '';

  before(async () => {
    await enableOci(api(), key);
    client = blockstorageClient(api().url, key);
    catalog = (await openFor(join(api().dir, 'data'))).catalog;
    const side = {
      catalog, clock: { nowNs: () => BigInt(nowMs) * 1_000_000n }, random: cryptoRandom, dataDir: join(api().dir, 'data'), jobsWaiting: () => undefined,
    } as unknown as AppContext;
    scheduler = createScheduler({ catalog, clock: side.clock, requestBackup: scheduledBackup(side), deleteBackup: retentionDelete(side) });
    volume = await fileVolume(api(), 'sched1', randomBytes(1024 * 1024));
  });
  after(async () => { await catalog.close(); });

  it('creates a policy with an hourly schedule (once per retry token) and reads it back', async () => {
    // The hourly tick 30 s from now: the test fires it at once on its own clock, long before the server's scheduler would.
    const now = Date.now();
    const offsetSeconds = (Math.floor((now % HOUR) / 1000) + 30) % 3600;
    tick = now - (now % HOUR) + offsetSeconds * 1000;
    if (tick <= now) tick += HOUR;
    const details = {
      compartmentId: TENANCY, displayName: 'hourly', freeformTags: { team: 'ops' },
      schedules: [{ backupType: core.models.VolumeBackupSchedule.BackupType.Incremental, period: core.models.VolumeBackupSchedule.Period.OneHour, offsetSeconds, retentionSeconds: RETENTION_S }],
    };
    const created = await client.createVolumeBackupPolicy({ createVolumeBackupPolicyDetails: details, opcRetryToken: 'policy-1' });
    const again = await client.createVolumeBackupPolicy({ createVolumeBackupPolicyDetails: details, opcRetryToken: 'policy-1' });
    policyId = created.volumeBackupPolicy.id;
    assert.match(policyId, /^ocid1\.volumebackuppolicy\.oc1\.\./);
    assert.equal(again.volumeBackupPolicy.id, policyId);
    assert.ok(created.etag);
    const got = await client.getVolumeBackupPolicy({ policyId });
    assert.equal(got.volumeBackupPolicy.compartmentId, TENANCY);
    assert.deepEqual(got.volumeBackupPolicy.freeformTags, { team: 'ops' });
    assert.deepEqual(got.volumeBackupPolicy.schedules.map((s) => [s.period, s.offsetSeconds, s.retentionSeconds, s.timeZone]), [['ONE_HOUR', offsetSeconds, RETENTION_S, 'UTC']]);
    assert.equal(got.etag, created.etag);
  });

  it('assigns the policy to a volume; the assignment is found by id and by volume', async () => {
    const made = await client.createVolumeBackupPolicyAssignment({ createVolumeBackupPolicyAssignmentDetails: { assetId: volume.ocid, policyId } });
    assignmentId = made.volumeBackupPolicyAssignment.id;
    assert.match(assignmentId, /^ocid1\.volumebackuppolicyassignment\.oc1\.\./);
    const byId = await client.getVolumeBackupPolicyAssignment({ policyAssignmentId: assignmentId });
    assert.deepEqual([byId.volumeBackupPolicyAssignment.assetId, byId.volumeBackupPolicyAssignment.policyId], [volume.ocid, policyId]);
    const byAsset = await client.getVolumeBackupPolicyAssetAssignment({ assetId: volume.ocid });
    assert.deepEqual(byAsset.items.map((a) => a.id), [assignmentId]);
    await rejectsWith(client.deleteVolumeBackupPolicy({ policyId }), 409, 'IncorrectState');
  });

  it('makes a SCHEDULED backup at the tick whose expirationTime is its request time plus the retention', async () => {
    nowMs = tick - 1000;
    assert.deepEqual((await scheduler.runOnce()).fired, [], 'not before the tick');
    nowMs = tick;
    const report = await scheduler.runOnce();
    assert.deepEqual(report.fired.map((f) => f.resourceId), [volume.id]);
    const listed = await client.listVolumeBackups({ compartmentId: TENANCY, volumeId: volume.ocid });
    assert.equal(listed.items.length, 1);
    backupOcid = listed.items[0]!.id;
    const done = (await waiters(client).forVolumeBackup({ volumeBackupId: backupOcid }, State.Available))!.volumeBackup;
    assert.equal(done.sourceType, 'SCHEDULED');
    assert.equal(done.type, 'INCREMENTAL');
    assert.equal(ms(done.timeRequestReceived), tick);
    assert.equal(ms(done.expirationTime), tick + RETENTION_S * 1000);
    assert.ok(Math.abs(ms(done.timeCreated) - tick) < 60_000, 'imaged right after the tick');
    assert.equal((await scheduler.runOnce()).fired.length, 0, 'one backup per tick');
  });

  it('lists by compartment with pages, and the predefined policies without one', async () => {
    const empty = await client.createVolumeBackupPolicy({ createVolumeBackupPolicyDetails: { compartmentId: TENANCY } });
    assert.deepEqual(empty.volumeBackupPolicy.schedules, []);
    assert.match(empty.volumeBackupPolicy.displayName, /^volumebackuppolicy\d{14}$/);
    const first = await client.listVolumeBackupPolicies({ compartmentId: TENANCY, limit: 1 });
    assert.ok(first.opcNextPage);
    const second = await client.listVolumeBackupPolicies({ compartmentId: TENANCY, limit: 1, page: first.opcNextPage });
    assert.deepEqual([...first.items, ...second.items].map((p) => p.id).sort(), [policyId, empty.volumeBackupPolicy.id].sort());
    assert.equal(second.opcNextPage, undefined);
    assert.deepEqual((await client.listVolumeBackupPolicies({ compartmentId: COMPARTMENT })).items, []);
    const predefined = (await client.listVolumeBackupPolicies({})).items;
    assert.deepEqual(predefined.map((p) => [p.displayName, p.compartmentId, p.schedules.length]), [['gold', null, 4], ['silver', null, 3], ['bronze', null, 2]]);
    await client.deleteVolumeBackupPolicy({ policyId: empty.volumeBackupPolicy.id });
    await rejectsWith(client.getVolumeBackupPolicy({ policyId: empty.volumeBackupPolicy.id }), 404, 'NotAuthorizedOrNotFound');
  });

  it('assigns a predefined policy, and a new assignment replaces a volume\'s earlier one', async () => {
    const silver = (await client.listVolumeBackupPolicies({})).items.find((p) => p.displayName === 'silver')!;
    const other = await fileVolume(api(), 'sched2', randomBytes(4096));
    const toSilver = await client.createVolumeBackupPolicyAssignment({ createVolumeBackupPolicyAssignmentDetails: { assetId: other.ocid, policyId: silver.id } });
    assert.equal(toSilver.volumeBackupPolicyAssignment.policyId, silver.id);
    assert.equal((await client.getVolumeBackupPolicy({ policyId: silver.id })).volumeBackupPolicy.displayName, 'silver');
    await rejectsWith(client.updateVolumeBackupPolicy({ policyId: silver.id, updateVolumeBackupPolicyDetails: { displayName: 'mine' } }), 400, 'InvalidParameter');
    const moved = await client.createVolumeBackupPolicyAssignment({ createVolumeBackupPolicyAssignmentDetails: { assetId: other.ocid, policyId } });
    const byAsset = await client.getVolumeBackupPolicyAssetAssignment({ assetId: other.ocid });
    assert.deepEqual(byAsset.items.map((a) => [a.id, a.policyId]), [[moved.volumeBackupPolicyAssignment.id, policyId]]);
    await rejectsWith(client.getVolumeBackupPolicyAssignment({ policyAssignmentId: toSilver.volumeBackupPolicyAssignment.id }), 404, 'NotAuthorizedOrNotFound');
    await client.deleteVolumeBackupPolicyAssignment({ policyAssignmentId: moved.volumeBackupPolicyAssignment.id });
    assert.deepEqual((await client.getVolumeBackupPolicyAssetAssignment({ assetId: other.ocid })).items, []);
  });

  it('updates the policy with its etag; a stale etag is refused', async () => {
    const current = await client.getVolumeBackupPolicy({ policyId });
    const updated = await client.updateVolumeBackupPolicy({ policyId, ifMatch: current.etag, updateVolumeBackupPolicyDetails: { displayName: 'hourly-2', freeformTags: { team: 'db' } } });
    assert.deepEqual([updated.volumeBackupPolicy.displayName, updated.volumeBackupPolicy.freeformTags], ['hourly-2', { team: 'db' }]);
    assert.deepEqual(updated.volumeBackupPolicy.schedules, current.volumeBackupPolicy.schedules);
    assert.notEqual(updated.etag, current.etag);
    await rejectsWith(client.updateVolumeBackupPolicy({ policyId, ifMatch: current.etag, updateVolumeBackupPolicyDetails: { displayName: 'x' } }), 412, 'NoEtagMatch');
  });

  it('stops scheduling once the assignment is deleted, and still expires the backup it made', async () => {
    await client.deleteVolumeBackupPolicyAssignment({ policyAssignmentId: assignmentId });
    assert.deepEqual((await client.getVolumeBackupPolicyAssetAssignment({ assetId: volume.ocid })).items, []);
    nowMs = tick + HOUR;
    const next = await scheduler.runOnce();
    assert.deepEqual([next.fired, next.deleted], [[], []], 'no backup for an unassigned volume; the first one is not expired yet');
    nowMs = tick + RETENTION_S * 1000;
    const expired = await scheduler.runOnce();
    assert.deepEqual(expired.fired, []);
    assert.equal(expired.deleted.length, 1);
    const gone = await waiters(client).forVolumeBackup({ volumeBackupId: backupOcid }, State.Terminated);
    assert.equal(gone?.volumeBackup.lifecycleState, 'TERMINATED');
    await client.deleteVolumeBackupPolicy({ policyId });
    await rejectsWith(client.getVolumeBackupPolicy({ policyId }), 404, 'NotAuthorizedOrNotFound');
  });
});
