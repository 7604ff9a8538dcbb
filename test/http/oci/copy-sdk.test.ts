/** CopyVolumeBackup through the OCI SDK: the copy lands in the destination region's repository and restores there. */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as core from 'oci-core';
import { RESTIC, useApiServer } from '../api-fixture.js';
import { blockstorageClient, enableOci, fileVolume, newKey, TENANCY, waiters } from './oci-fixture.js';

const State = core.models.VolumeBackup.LifecycleState;

describe('OCI CopyVolumeBackup', () => {
  const api = useApiServer('holdfast-oci-copy-', (dir) => ({ region: 'us-phoenix-1', regions: { 'us-ashburn-1': { dataDir: join(dir, 'ashburn') } } }));
  const key = newKey();
  let client: core.BlockstorageClient;
  before(async () => {
    await enableOci(api(), key);
    client = blockstorageClient(api().url, key);
  });

  it('copies an AVAILABLE backup to another region, which restic reads there', async () => {
    const data = randomBytes(2 * 1024 * 1024 + 17);
    const volume = await fileVolume(api(), 'copied', data);
    const made = await client.createVolumeBackup({ createVolumeBackupDetails: { volumeId: volume.ocid, displayName: 'src', freeformTags: { app: 'x' } } });
    await waiters(client).forVolumeBackup({ volumeBackupId: made.volumeBackup.id }, State.Available);
    const copy = await client.copyVolumeBackup({ volumeBackupId: made.volumeBackup.id, copyVolumeBackupDetails: { destinationRegion: 'us-ashburn-1', displayName: 'dst' } });
    assert.ok(copy.opcWorkRequestId);
    assert.notEqual(copy.volumeBackup.id, made.volumeBackup.id);
    assert.equal(copy.volumeBackup.sourceVolumeBackupId, made.volumeBackup.id);
    assert.equal(copy.volumeBackup.displayName, 'dst');
    const done = await waiters(client).forVolumeBackup({ volumeBackupId: copy.volumeBackup.id }, State.Available);
    assert.equal(done?.volumeBackup.compartmentId, TENANCY);
    assert.deepEqual(done?.volumeBackup.freeformTags, { app: 'x' });
    const listed = await client.listVolumeBackups({ compartmentId: TENANCY, sourceVolumeBackupId: made.volumeBackup.id });
    assert.deepEqual(listed.items.map((b) => b.id), [copy.volumeBackup.id]);

    const access = await api().call('GET', '/v1/repository');
    const region = join(api().dir, 'ashburn', 'repos', access.json.tenantId);
    const env = { ...process.env, RESTIC_PASSWORD: access.json.password };
    execFileSync(RESTIC, ['-r', region, 'check', '--read-data'], { env });
    const snapshot = (done?.volumeBackup.systemTags as Record<string, Record<string, string>>)['holdfast']!['resticSnapshotId']!;
    const target = join(api().dir, 'restored');
    execFileSync(RESTIC, ['-r', region, 'restore', snapshot, '--target', target], { env });
    assert.ok(readFileSync(join(target, volume.path)).equals(data));
  });

  it('refuses an unknown region and a backup that is not AVAILABLE, creating nothing', async () => {
    const volume = await fileVolume(api(), 'refused', randomBytes(4096));
    const made = await client.createVolumeBackup({ createVolumeBackupDetails: { volumeId: volume.ocid } });
    await waiters(client).forVolumeBackup({ volumeBackupId: made.volumeBackup.id }, State.Available);
    const before = (await client.listVolumeBackups({ compartmentId: TENANCY })).items.length;
    await assert.rejects(client.copyVolumeBackup({ volumeBackupId: made.volumeBackup.id, copyVolumeBackupDetails: { destinationRegion: 'mars-1' } }),
      (err: { statusCode: number; serviceCode: string }) => err.statusCode === 400 && err.serviceCode === 'InvalidParameter');
    await assert.rejects(client.copyVolumeBackup({ volumeBackupId: 'ocid1.volumebackup.oc1..000000000000000000000000', copyVolumeBackupDetails: { destinationRegion: 'us-ashburn-1' } }),
      (err: { statusCode: number; serviceCode: string }) => err.statusCode === 404 && err.serviceCode === 'NotAuthorizedOrNotFound');
    assert.equal((await client.listVolumeBackups({ compartmentId: TENANCY })).items.length, before);
  });
});
