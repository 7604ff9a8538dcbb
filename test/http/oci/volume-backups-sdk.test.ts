/** The OCI SDK's BlockstorageClient against Holdfast: the volume-backup life cycle end to end. */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as core from 'oci-core';
import { useApiServer } from '../api-fixture.js';
import { blockstorageClient, COMPARTMENT, enableOci, fileVolume, newKey, TENANCY, waiters } from './oci-fixture.js';

const State = core.models.VolumeBackup.LifecycleState;

describe('OCI Block Volume backups through the OCI SDK', () => {
  const api = useApiServer('holdfast-oci-sdk-');
  const key = newKey();
  let client: core.BlockstorageClient;
  before(async () => {
    await enableOci(api(), key);
    client = blockstorageClient(api().url, key);
  });

  it('creates a backup, waits until AVAILABLE, reads it back', async () => {
    const data = randomBytes(3 * 1024 * 1024);
    const volume = await fileVolume(api(), 'disk1', data);
    const created = await client.createVolumeBackup({ createVolumeBackupDetails: { volumeId: volume.ocid, displayName: 'first', freeformTags: { team: 'db' } } });
    assert.equal(created.volumeBackup.volumeId, volume.ocid);
    assert.ok(['REQUEST_RECEIVED', 'CREATING'].includes(created.volumeBackup.lifecycleState));
    assert.equal(created.volumeBackup.type, 'INCREMENTAL');
    assert.equal(created.volumeBackup.compartmentId, TENANCY);
    assert.ok(created.etag);
    const done = await waiters(client).forVolumeBackup({ volumeBackupId: created.volumeBackup.id }, State.Available);
    assert.equal(done?.volumeBackup.lifecycleState, 'AVAILABLE');
    assert.equal(done?.volumeBackup.sizeInMBs, 3);
    assert.deepEqual(done?.volumeBackup.freeformTags, { team: 'db' });
    const got = await client.getVolumeBackup({ volumeBackupId: created.volumeBackup.id });
    assert.equal(got.volumeBackup.displayName, 'first');
    assert.ok(got.etag);
    const listed = await client.listVolumeBackups({ compartmentId: TENANCY });
    assert.equal(listed.items.length, 1);
    void COMPARTMENT;
  });
});
