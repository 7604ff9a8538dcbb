/**
 * Issue 4's acceptance path in one go, with the official OCI SDK
 * (BlockstorageClient, its waiters and paginator) against Holdfast on loopback:
 * create a backup → wait until AVAILABLE → get → list across several pages →
 * update with the etag → CreateVolume from the backup → wait → the restored
 * volume's bytes equal the source's at backup time → delete → wait until
 * TERMINATED.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as core from 'oci-core';
import { useApiServer } from '../api-fixture.js';
import { blockstorageClient, enableOci, fileVolume, newKey, TENANCY, waiters } from './oci-fixture.js';

const BackupState = core.models.VolumeBackup.LifecycleState;
const VolumeState = core.models.Volume.LifecycleState;

describe('OCI Block Volume acceptance path through the SDK', () => {
  const api = useApiServer('holdfast-oci-accept-');
  const key = newKey();
  let client: core.BlockstorageClient;
  before(async () => {
    await enableOci(api(), key);
    client = blockstorageClient(api().url, key);
  });

  it('backs up, pages, updates, restores into a new volume and deletes', async () => {
    const original = randomBytes(5 * 1024 * 1024 + 3);
    const volume = await fileVolume(api(), 'accept', original);
    const created = await client.createVolumeBackup({ createVolumeBackupDetails: { volumeId: volume.ocid, displayName: 'accept-0', type: core.models.CreateVolumeBackupDetails.Type.Full } });
    const available = await waiters(client).forVolumeBackup({ volumeBackupId: created.volumeBackup.id }, BackupState.Available);
    assert.equal(available?.volumeBackup.lifecycleState, 'AVAILABLE');
    writeFileSync(volume.path, randomBytes(original.length)); // the source moves on; the backup must not

    const got = await client.getVolumeBackup({ volumeBackupId: created.volumeBackup.id });
    assert.equal(got.volumeBackup.type, 'FULL');
    assert.equal(got.volumeBackup.sizeInMBs, 6);

    for (let i = 1; i <= 4; i++) {
      const more = await client.createVolumeBackup({ createVolumeBackupDetails: { volumeId: volume.ocid, displayName: `accept-${i}` } });
      await waiters(client).forVolumeBackup({ volumeBackupId: more.volumeBackup.id }, BackupState.Available);
    }
    const first = await client.listVolumeBackups({ compartmentId: TENANCY, volumeId: volume.ocid, limit: 2 });
    assert.equal(first.items.length, 2);
    assert.ok(first.opcNextPage, 'a first page of two out of five has a next page');
    const all: core.models.VolumeBackup[] = [];
    for await (const b of client.listVolumeBackupsRecordIterator({ compartmentId: TENANCY, volumeId: volume.ocid, limit: 2 })) all.push(b);
    assert.deepEqual(all.map((b) => b.displayName).sort(), ['accept-0', 'accept-1', 'accept-2', 'accept-3', 'accept-4']);

    const updated = await client.updateVolumeBackup({
      volumeBackupId: created.volumeBackup.id, ifMatch: got.etag,
      updateVolumeBackupDetails: { displayName: 'accept-renamed', freeformTags: { stage: 'accepted' } },
    });
    assert.equal(updated.volumeBackup.displayName, 'accept-renamed');
    assert.deepEqual(updated.volumeBackup.freeformTags, { stage: 'accepted' });
    assert.notEqual(updated.etag, got.etag);

    const restored = await client.createVolume({
      createVolumeDetails: { compartmentId: TENANCY, availabilityDomain: 'AD-1', displayName: 'restored', sourceDetails: { type: 'volumeBackup', id: created.volumeBackup.id } as core.models.VolumeSourceFromVolumeBackupDetails },
    });
    await waiters(client).forVolume({ volumeId: restored.volume.id }, VolumeState.Available);
    const path = (await api().call('GET', `/v1/resources/res_${restored.volume.id.slice('ocid1.volume.oc1..'.length)}`)).json.config.path as string;
    assert.ok(readFileSync(path).equals(original), 'the restored volume holds the bytes the source had at backup time');

    await client.deleteVolumeBackup({ volumeBackupId: created.volumeBackup.id, ifMatch: updated.etag });
    const terminated = await waiters(client).forVolumeBackup({ volumeBackupId: created.volumeBackup.id }, BackupState.Terminated);
    assert.equal(terminated?.volumeBackup.lifecycleState, 'TERMINATED');
  });
});
