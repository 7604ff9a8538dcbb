/**
 * The OCI SDK's BlockstorageClient against Holdfast's /volumes routes: a
 * volume backup restored through CreateVolume into a new volume under the
 * volumes directory, byte for byte as the source was at backup time (a file
 * and a directory tree), then read, listed, updated and deleted; and the
 * error answers of these routes.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as common from 'oci-common';
import * as core from 'oci-core';
import type { AppContext } from '../../../src/app/context.js';
import { ownsData } from '../../../src/app/volumes.js';
import type { Resource } from '../../../src/catalog/index.js';
import { parseConfig } from '../../../src/main/config.js';
import { useApiServer, type ApiFixture } from '../api-fixture.js';
import { blockstorageClient, COMPARTMENT, enableOci, fileVolume, newKey, TENANCY, waiters } from './oci-fixture.js';

const VolumeState = core.models.Volume.LifecycleState;
const BackupState = core.models.VolumeBackup.LifecycleState;
const MIB = 1024 * 1024;

/** Every entry under `dir` with its kind and the hash of its content (files) or target (links). */
function treeOf(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const p = join(dir, rel, name);
      const st = lstatSync(p);
      const what = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? `link ${readlinkSync(p)}` : `file ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
      out.push(`${join(rel, name)} ${what}`);
      if (st.isDirectory()) walk(join(rel, name));
    }
  };
  walk('');
  return out;
}

function resourceIdOf(volumeOcid: string): string {
  return `res_${volumeOcid.slice('ocid1.volume.oc1..'.length)}`;
}

async function pathOf(api: ApiFixture, volumeOcid: string): Promise<string> {
  const res = await api.call('GET', `/v1/resources/${resourceIdOf(volumeOcid)}`);
  assert.equal(res.status, 200);
  return res.json.config.path;
}

async function dirVolume(api: ApiFixture, name: string): Promise<{ path: string; ocid: string; id: string }> {
  const path = join(api.dir, 'volumes-src', name);
  mkdirSync(join(path, 'etc', 'conf.d'), { recursive: true });
  mkdirSync(join(path, 'empty'));
  writeFileSync(join(path, 'etc', 'app.conf'), 'listen 8080\n');
  writeFileSync(join(path, 'etc', 'conf.d', 'big.bin'), randomBytes(2 * MIB + 123));
  writeFileSync(join(path, 'README'), 'hello\n');
  const res = await api.call('POST', '/v1/resources', { body: { name, driver: 'volume', config: { path } } });
  assert.equal(res.status, 201, JSON.stringify(res.json));
  return { path, id: res.json.id, ocid: `ocid1.volume.oc1..${res.json.id.slice(4)}` };
}

async function expectOciError(p: Promise<unknown>, status: number, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    // The SDK's OciError (the class may come from another copy of oci-common than the test's).
    const e = err as Partial<common.OciError>;
    assert.equal(e.statusCode, status, String(err));
    assert.equal(e.serviceCode, code, String(err));
    return true;
  });
}

describe('OCI volumes through the OCI SDK', () => {
  const api = useApiServer('holdfast-oci-volumes-');
  const key = newKey();
  let client: core.BlockstorageClient;
  let volumesDir = '';

  async function availableBackup(volumeOcid: string, displayName: string): Promise<string> {
    const created = await client.createVolumeBackup({ createVolumeBackupDetails: { volumeId: volumeOcid, displayName } });
    const done = await waiters(client).forVolumeBackup({ volumeBackupId: created.volumeBackup.id }, BackupState.Available);
    assert.equal(done?.volumeBackup.lifecycleState, 'AVAILABLE');
    return created.volumeBackup.id;
  }

  before(async () => {
    await enableOci(api(), key);
    client = blockstorageClient(api().url, key);
    volumesDir = join(api().dir, 'data', 'volumes');
  });

  it('restores a file volume backup into a new volume: bytes as at backup time, read, listed, updated, deleted', async () => {
    const original = randomBytes(3 * MIB + 4096);
    const source = await fileVolume(api(), 'disk-a', original);
    const backupId = await availableBackup(source.ocid, 'disk-a-1');
    writeFileSync(source.path, randomBytes(2 * MIB)); // the source moves on after the backup

    const created = await client.createVolume({
      createVolumeDetails: {
        compartmentId: COMPARTMENT, availabilityDomain: 'Uocm:PHX-AD-1', displayName: 'restored-a',
        sourceDetails: { type: 'volumeBackup', id: backupId } as core.models.VolumeSourceFromVolumeBackupDetails, freeformTags: { team: 'ops' },
      },
    });
    const v = created.volume;
    assert.match(v.id, /^ocid1\.volume\.oc1\.\./);
    assert.notEqual(v.id, source.ocid);
    assert.ok(['RESTORING', 'AVAILABLE'].includes(v.lifecycleState), v.lifecycleState);
    assert.equal(v.compartmentId, COMPARTMENT);
    assert.equal(v.availabilityDomain, 'Uocm:PHX-AD-1');
    assert.equal(v.displayName, 'restored-a');
    assert.deepEqual(v.sourceDetails, { type: 'volumeBackup', id: backupId });
    assert.deepEqual(v.freeformTags, { team: 'ops' });
    assert.equal(v.sizeInMBs, 4, 'before the data exists, the size is the backup\'s');
    assert.ok(created.etag);

    const done = await waiters(client).forVolume({ volumeId: v.id }, VolumeState.Available);
    assert.equal(done?.volume.lifecycleState, 'AVAILABLE');
    assert.equal(done?.volume.isHydrated, true);
    assert.equal(done?.volume.sizeInMBs, 4);
    assert.equal(done?.volume.sizeInGBs, 1);
    const path = await pathOf(api(), v.id);
    assert.equal(dirname(path), volumesDir);
    assert.ok(lstatSync(path).isFile());
    assert.ok(readFileSync(path).equals(original), 'the restored volume holds the bytes of backup time');

    const got = await client.getVolume({ volumeId: v.id });
    assert.equal(got.volume.id, v.id);
    assert.equal(got.volume.lifecycleState, 'AVAILABLE');
    assert.ok(got.etag);
    assert.equal(typeof got.volume.timeCreated, 'string');

    const inCompartment = await client.listVolumes({ compartmentId: COMPARTMENT });
    assert.deepEqual(inCompartment.items.map((x) => x.id), [v.id]);
    const inRoot = await client.listVolumes({ compartmentId: TENANCY });
    assert.ok(inRoot.items.some((x) => x.id === source.ocid), 'a volume registered natively is in the root compartment');
    assert.ok(!inRoot.items.some((x) => x.id === v.id));
    assert.equal(inRoot.items.find((x) => x.id === source.ocid)?.sizeInMBs, 2, 'a file volume\'s size is its file\'s');
    assert.equal((await client.listVolumes({ compartmentId: COMPARTMENT, displayName: 'restored-a', lifecycleState: 'available' })).items.length, 1);
    assert.equal((await client.listVolumes({ compartmentId: COMPARTMENT, displayName: 'other' })).items.length, 0);
    assert.equal((await client.listVolumes({ compartmentId: COMPARTMENT, lifecycleState: 'RESTORING' })).items.length, 0);

    await expectOciError(client.updateVolume({ volumeId: v.id, ifMatch: 'stale', updateVolumeDetails: { displayName: 'x' } }), 412, 'NoEtagMatch');
    const updated = await client.updateVolume({ volumeId: v.id, ifMatch: got.etag, updateVolumeDetails: { displayName: 'renamed', freeformTags: { team: 'db' } } });
    assert.equal(updated.volume.displayName, 'renamed');
    assert.deepEqual(updated.volume.freeformTags, { team: 'db' });
    assert.notEqual(updated.etag, got.etag);

    await expectOciError(client.deleteVolume({ volumeId: v.id, ifMatch: got.etag }), 412, 'NoEtagMatch');
    assert.ok(existsSync(path), 'a refused delete removes nothing');
    await client.deleteVolume({ volumeId: v.id, ifMatch: updated.etag });
    assert.ok(!existsSync(path), 'the restored data under the volumes directory is removed');
    const gone = await waiters(client).forVolume({ volumeId: v.id }, VolumeState.Terminated);
    assert.equal(gone?.volume.lifecycleState, 'TERMINATED');
    assert.equal(gone?.volume.displayName, 'renamed');
    assert.equal((await api().call('GET', `/v1/resources/${resourceIdOf(v.id)}`)).status, 404, 'unregistered from the inventory');
    assert.deepEqual((await client.listVolumes({ compartmentId: COMPARTMENT, lifecycleState: 'TERMINATED' })).items.map((x) => x.id), [v.id]);
    await expectOciError(client.deleteVolume({ volumeId: v.id }), 404, 'NotAuthorizedOrNotFound');
    await expectOciError(client.updateVolume({ volumeId: v.id, updateVolumeDetails: { displayName: 'y' } }), 404, 'NotAuthorizedOrNotFound');

    // Deleting a volume that names the user's own disk unregisters it and leaves the disk alone.
    const kept = readFileSync(source.path);
    await client.deleteVolume({ volumeId: source.ocid });
    assert.ok(readFileSync(source.path).equals(kept), 'a user\'s own disk is never deleted');
    assert.equal((await client.getVolume({ volumeId: source.ocid })).volume.lifecycleState, 'TERMINATED');
    assert.equal((await client.getVolumeBackup({ volumeBackupId: backupId })).volumeBackup.lifecycleState, 'AVAILABLE', 'backups outlive their volume');
  });

  it('restores a directory volume as a directory tree (through the older volumeBackupId field)', async () => {
    const source = await dirVolume(api(), 'tree-b');
    const before = treeOf(source.path);
    const backupId = await availableBackup(source.ocid, 'tree-b-1');
    writeFileSync(join(source.path, 'README'), 'changed\n');
    writeFileSync(join(source.path, 'new-file'), 'new\n');
    rmSync(join(source.path, 'empty'), { recursive: true });
    assert.notDeepEqual(treeOf(source.path), before);

    const created = await client.createVolume({ createVolumeDetails: { compartmentId: TENANCY, volumeBackupId: backupId } });
    assert.deepEqual(created.volume.sourceDetails, { type: 'volumeBackup', id: backupId });
    assert.equal(created.volume.availabilityDomain, 'AD-1');
    const done = await waiters(client).forVolume({ volumeId: created.volume.id }, VolumeState.Available);
    assert.equal(done?.volume.sizeInMBs, 3, 'a directory\'s size is its backup\'s logical size');
    const path = await pathOf(api(), created.volume.id);
    assert.equal(dirname(path), volumesDir);
    assert.ok(lstatSync(path).isDirectory());
    assert.deepEqual(treeOf(path), before);

    await client.deleteVolume({ volumeId: created.volume.id });
    assert.ok(!existsSync(path), 'the restored tree is removed');
    assert.deepEqual(readdirSync(volumesDir), [], 'nothing is left under the volumes directory');
    assert.ok(existsSync(join(source.path, 'new-file')), 'the source tree is untouched');
  });

  it('answers one volume per opc-retry-token and 409 InvalidatedRetryToken for another body', async () => {
    const source = await fileVolume(api(), 'disk-c', randomBytes(MIB));
    const backupId = await availableBackup(source.ocid, 'disk-c-1');
    const details = { compartmentId: TENANCY, displayName: 'once', sourceDetails: { type: 'volumeBackup', id: backupId } as core.models.VolumeSourceFromVolumeBackupDetails };
    const first = await client.createVolume({ createVolumeDetails: details, opcRetryToken: 'token-c-1' });
    const again = await client.createVolume({ createVolumeDetails: details, opcRetryToken: 'token-c-1' });
    assert.equal(again.volume.id, first.volume.id);
    await expectOciError(client.createVolume({ createVolumeDetails: { ...details, displayName: 'twice' }, opcRetryToken: 'token-c-1' }), 409, 'InvalidatedRetryToken');
    const named = await client.listVolumes({ compartmentId: TENANCY, displayName: 'once' });
    assert.equal(named.items.length, 1);
    await waiters(client).forVolume({ volumeId: first.volume.id }, VolumeState.Available);
  });

  it('pages ListVolumes with opc-next-page and sorts by display name', async () => {
    const all: string[] = [];
    let page: string | undefined;
    let pages = 0;
    do {
      const res = await client.listVolumes({ compartmentId: TENANCY, limit: 1, sortBy: core.requests.ListVolumesRequest.SortBy.Displayname, ...(page === undefined ? {} : { page }) });
      assert.ok(res.items.length <= 1);
      all.push(...res.items.map((x) => x.displayName));
      page = res.opcNextPage;
      pages++;
    } while (page !== undefined);
    assert.ok(pages >= 3, `pages: ${pages}`);
    assert.deepEqual(all, [...all].sort());
    const byIterator: string[] = [];
    for await (const v of client.listVolumesRecordIterator({ compartmentId: TENANCY, limit: 2, sortBy: core.requests.ListVolumesRequest.SortBy.Displayname })) byIterator.push(v.displayName);
    assert.deepEqual(byIterator, all);
  });

  it('shows a restore that failed as FAULTY', async () => {
    const source = await dirVolume(api(), 'tree-d');
    const backupId = await availableBackup(source.ocid, 'tree-d-1');
    // The volume now names a path its backup does not hold, so the restore cannot find its data.
    const moved = await api().call('PATCH', `/v1/resources/${source.id}`, { body: { config: { path: join(api().dir, 'elsewhere') } } });
    assert.equal(moved.status, 200);
    const created = await client.createVolume({ createVolumeDetails: { compartmentId: TENANCY, sourceDetails: { type: 'volumeBackup', id: backupId } as core.models.VolumeSourceFromVolumeBackupDetails } });
    const faulty = await waiters(client).forVolume({ volumeId: created.volume.id }, VolumeState.Faulty, VolumeState.Available);
    assert.equal(faulty?.volume.lifecycleState, 'FAULTY');
    assert.equal(faulty?.volume.isHydrated, false);
    await client.deleteVolume({ volumeId: created.volume.id });
    assert.equal((await client.getVolume({ volumeId: created.volume.id })).volume.lifecycleState, 'TERMINATED');
  });

  it('answers bad requests in OCI\'s error format', async () => {
    const source = await fileVolume(api(), 'disk-e', randomBytes(MIB));
    const backupId = await availableBackup(source.ocid, 'disk-e-1');
    const from = (id: string) => ({ type: 'volumeBackup', id }) as core.models.VolumeSourceFromVolumeBackupDetails;
    await expectOciError(client.createVolume({ createVolumeDetails: { sourceDetails: from(backupId) } as core.models.CreateVolumeDetails }), 400, 'MissingParameter');
    await expectOciError(client.createVolume({ createVolumeDetails: { compartmentId: TENANCY } }), 400, 'MissingParameter');
    await expectOciError(client.createVolume({
      createVolumeDetails: { compartmentId: TENANCY, sourceDetails: { type: 'volume', id: source.ocid } as core.models.VolumeSourceFromVolumeDetails },
    }), 400, 'InvalidParameter');
    await expectOciError(client.createVolume({ createVolumeDetails: { compartmentId: TENANCY, sourceDetails: from('ocid1.volumebackup.oc1..0123456789abcdef') } }), 404, 'NotAuthorizedOrNotFound');
    await expectOciError(client.createVolume({ createVolumeDetails: { compartmentId: 'ocid1.compartment.oc1..notours', sourceDetails: from(backupId) } }), 404, 'NotAuthorizedOrNotFound');
    await expectOciError(client.getVolume({ volumeId: 'ocid1.volume.oc1..0123456789abcdef' }), 404, 'NotAuthorizedOrNotFound');
    await expectOciError(client.getVolume({ volumeId: 'not-an-ocid' }), 404, 'NotAuthorizedOrNotFound');
    await expectOciError(client.listVolumes({}), 400, 'MissingParameter');
    await expectOciError(client.listVolumes({ compartmentId: TENANCY, lifecycleState: 'SLEEPING' }), 400, 'InvalidParameter');
    await expectOciError(client.listVolumes({ compartmentId: TENANCY, page: 'bogus' }), 400, 'InvalidParameter');

    // A backup that is no longer AVAILABLE cannot be restored.
    const current = await client.getVolumeBackup({ volumeBackupId: backupId });
    await client.deleteVolumeBackup({ volumeBackupId: backupId, ifMatch: current.etag });
    await waiters(client).forVolumeBackup({ volumeBackupId: backupId }, BackupState.Terminated);
    const before = (await client.listVolumes({ compartmentId: TENANCY })).items.length;
    await expectOciError(client.createVolume({ createVolumeDetails: { compartmentId: TENANCY, sourceDetails: from(backupId) } }), 409, 'IncorrectState');
    assert.equal((await client.listVolumes({ compartmentId: TENANCY })).items.length, before, 'a refused restore registers nothing');
  });
});

describe('volumes directory', () => {
  const app = { dataDir: '/srv/data', volumesDir: '/srv/vols' } as unknown as AppContext;
  const volume = (path: string, attributes: Record<string, unknown> = { sourceBackupId: 'bak_1' }): Resource =>
    ({ id: 'res_1', driver: 'volume', config: { path }, attributes } as unknown as Resource);

  it('deletes data only of restored volumes directly under the volumes directory', () => {
    assert.equal(ownsData(app, volume('/srv/vols/volume-1')), true);
    assert.equal(ownsData(app, volume('/srv/vols/volume-1', {})), false, 'registered by a user, not restored by Holdfast');
    assert.equal(ownsData(app, volume('/srv/vols')), false);
    assert.equal(ownsData(app, volume('/srv/vols/a/b')), false);
    assert.equal(ownsData(app, volume('/srv/vols/../etc')), false);
    assert.equal(ownsData(app, volume('/home/me/disk.img')), false);
    assert.equal(ownsData({ dataDir: '/srv/data' } as unknown as AppContext, volume('/srv/data/volumes/volume-2')), true, 'default: <dataDir>/volumes');
  });

  it('reads volumesDir from the server section, relative to the config file', () => {
    assert.equal(parseConfig('server:\n  volumesDir: vols\n', '/etc/holdfast/holdfast.yaml').server.volumesDir, '/etc/holdfast/vols');
    assert.equal(parseConfig('server:\n  port: 1\n', '/etc/holdfast/holdfast.yaml').server.volumesDir, undefined);
  });
});
