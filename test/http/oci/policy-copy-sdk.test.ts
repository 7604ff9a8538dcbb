/**
 * A volume backup policy with a destinationRegion, through the OCI SDK: each
 * scheduled backup, once AVAILABLE, is copied to that region, where restic
 * reads it. A region that is not configured, or the home one, is refused.
 * The scheduler is driven by hand on a clock the test moves, over the
 * server's own catalog; the server's runner does the backup and copy jobs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as core from 'oci-core';
import type { AppContext } from '../../../src/app/context.js';
import { retentionDelete, scheduledBackup } from '../../../src/app/policies.js';
import type { Catalog } from '../../../src/catalog/index.js';
import { cryptoRandom } from '../../../src/common/clock.js';
import { createScheduler, type Scheduler } from '../../../src/jobs/scheduler.js';
import { RESTIC, useApiServer } from '../api-fixture.js';
import { openFor } from '../open-catalog.js';
import { blockstorageClient, enableOci, fileVolume, newKey, TENANCY, waiters } from './oci-fixture.js';

const State = core.models.VolumeBackup.LifecycleState;
const HOUR = 3_600_000;

async function rejectsWith(p: Promise<unknown>, status: number, code: string): Promise<void> {
  await assert.rejects(p, (e: { statusCode?: number; serviceCode?: string }) => e.statusCode === status && e.serviceCode === code);
}

describe('OCI volume backup policy with a destination region', () => {
  const api = useApiServer('holdfast-oci-policy-copy-', (dir) => ({ region: 'us-phoenix-1', regions: { 'us-ashburn-1': { dataDir: join(dir, 'ashburn') } } }));
  const key = newKey();
  let client: core.BlockstorageClient;
  let catalog: Catalog;
  let nowMs = 0;
  let copyId = '';
  let sourceId = '';
  let expiresMs = 0;
  let scheduler: Scheduler | undefined;

  before(async () => {
    await enableOci(api(), key);
    client = blockstorageClient(api().url, key);
    catalog = (await openFor(join(api().dir, 'data'))).catalog;
  });
  after(async () => { await catalog.close(); });

  const hourlyAt = (offsetSeconds: number) => [{
    backupType: core.models.VolumeBackupSchedule.BackupType.Full, period: core.models.VolumeBackupSchedule.Period.OneHour, offsetSeconds, retentionSeconds: 7200,
  }];

  it('refuses a destination region that is not configured, or the home region', async () => {
    for (const destinationRegion of ['mars-1', 'us-phoenix-1']) {
      await rejectsWith(client.createVolumeBackupPolicy({ createVolumeBackupPolicyDetails: { compartmentId: TENANCY, displayName: 'bad', destinationRegion, schedules: hourlyAt(0) } }), 400, 'InvalidParameter');
    }
    const listed = await client.listVolumeBackupPolicies({ compartmentId: TENANCY });
    assert.deepEqual(listed.items.filter((p) => p.displayName === 'bad'), [], 'nothing was created');
  });

  it('copies each scheduled backup to the destination region once it is AVAILABLE', async () => {
    const now = Date.now();
    const offsetSeconds = (Math.floor((now % HOUR) / 1000) + 30) % 3600;
    let tick = now - (now % HOUR) + offsetSeconds * 1000;
    if (tick <= now) tick += HOUR;
    const policy = await client.createVolumeBackupPolicy({
      createVolumeBackupPolicyDetails: { compartmentId: TENANCY, displayName: 'dr', destinationRegion: 'us-ashburn-1', schedules: hourlyAt(offsetSeconds) },
    });
    assert.equal(policy.volumeBackupPolicy.destinationRegion, 'us-ashburn-1');
    const data = randomBytes(1024 * 1024 + 3);
    const volume = await fileVolume(api(), 'dr1', data);
    await client.createVolumeBackupPolicyAssignment({ createVolumeBackupPolicyAssignmentDetails: { assetId: volume.ocid, policyId: policy.volumeBackupPolicy.id } });

    const side = { catalog, clock: { nowNs: () => BigInt(nowMs) * 1_000_000n }, random: cryptoRandom, dataDir: join(api().dir, 'data'), jobsWaiting: () => undefined } as unknown as AppContext;
    const ticker = createScheduler({ catalog, clock: side.clock, requestBackup: scheduledBackup(side), deleteBackup: retentionDelete(side) });
    nowMs = tick;
    assert.deepEqual((await ticker.runOnce()).fired.map((f) => f.resourceId), [volume.id]);
    const scheduled = (await client.listVolumeBackups({ compartmentId: TENANCY, volumeId: volume.ocid })).items;
    assert.equal(scheduled.length, 1);
    const source = (await waiters(client).forVolumeBackup({ volumeBackupId: scheduled[0]!.id }, State.Available))!.volumeBackup;
    assert.equal(source.sourceType, 'SCHEDULED');

    let copies: core.models.VolumeBackup[] = [];
    for (let i = 0; i < 100 && copies.length === 0; i++) {
      copies = (await client.listVolumeBackups({ compartmentId: TENANCY, sourceVolumeBackupId: source.id })).items;
      if (copies.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(copies.length, 1, 'one copy of the scheduled backup');
    const copy = (await waiters(client).forVolumeBackup({ volumeBackupId: copies[0]!.id }, State.Available))!.volumeBackup;
    assert.equal(copy.sourceVolumeBackupId, source.id);
    assert.equal(new Date(copy.expirationTime!).getTime(), new Date(source.expirationTime!).getTime(), 'the copy expires with its source');
    copyId = copy.id;
    sourceId = source.id;
    scheduler = createScheduler({ catalog, clock: side.clock, requestBackup: scheduledBackup(side), deleteBackup: retentionDelete(side) });
    expiresMs = new Date(source.expirationTime!).getTime();

    const access = await api().call('GET', '/v1/repository');
    const region = join(api().dir, 'ashburn', 'repos', access.json.tenantId);
    const env = { ...process.env, RESTIC_PASSWORD: access.json.password };
    execFileSync(RESTIC, ['-r', region, 'check', '--read-data'], { env });
    const snapshot = (copy.systemTags as Record<string, Record<string, string>>)['holdfast']!['resticSnapshotId']!;
    const target = join(api().dir, 'restored');
    execFileSync(RESTIC, ['-r', region, 'restore', snapshot, '--target', target], { env });
    assert.ok(readFileSync(join(target, volume.path)).equals(data), 'the copy restores the volume as it was backed up');
  });

  it('deletes the source and its copy once they expire', async () => {
    nowMs = expiresMs + 1000;
    const gone = new Set<string>();
    for (let i = 0; i < 200 && gone.size < 2; i++) {
      await scheduler!.runOnce();
      for (const id of [sourceId, copyId]) {
        const state = (await client.getVolumeBackup({ volumeBackupId: id })).volumeBackup.lifecycleState;
        if (state === State.Terminated) gone.add(id);
      }
      if (gone.size < 2) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual([...gone].sort(), [sourceId, copyId].sort(), 'both are TERMINATED');
  });
});
