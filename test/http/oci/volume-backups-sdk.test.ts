/**
 * The OCI SDK's BlockstorageClient against Holdfast: the volume-backup life
 * cycle end to end (create → waiter → get → list in pages → update with the
 * etag → delete → waiter until TERMINATED), retry tokens, a backup refused
 * while another of its volume runs, and another tenant's backups unseen.
 * Every call goes through the real oci-core client and its signer.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as common from 'oci-common';
import * as core from 'oci-core';
import { useApiServer } from '../api-fixture.js';
import { blockstorageClient, COMPARTMENT, enableOci, fileVolume, newKey, TENANCY, waiters } from './oci-fixture.js';
import { assertOciError, backdateDeletion, OTHER_TENANCY, otherTenant } from './volume-backups-sdk-support.js';

const State = core.models.VolumeBackup.LifecycleState;
const MIB = 1024 * 1024;
const SortBy = core.requests.ListVolumeBackupsRequest.SortBy;
const SortOrder = core.requests.ListVolumeBackupsRequest.SortOrder;
type VolumeBackup = core.models.VolumeBackup;

describe('OCI Block Volume backups through the OCI SDK', () => {
  const api = useApiServer('holdfast-oci-sdk-');
  const key = newKey();
  let client: core.BlockstorageClient;
  let waiter: core.BlockstorageWaiter;
  /** The backup the life-cycle tests share: made in the first, updated and deleted in later ones. */
  let first: VolumeBackup;
  /** Its etag before the update: stale from then on. */
  let staleEtag: string;
  /** The five backups the listing tests share, in a compartment of their own. */
  const names = ['delta', 'Alpha', 'charlie', 'bravo', 'Echo'];
  const made: VolumeBackup[] = [];
  const madeIds = (): string[] => made.map((b) => b.id).sort();

  before(async () => {
    await enableOci(api(), key);
    client = blockstorageClient(api().url, key);
    waiter = waiters(client);
  });

  async function available(id: string): Promise<VolumeBackup> {
    const done = await waiter.forVolumeBackup({ volumeBackupId: id }, State.Available, State.Faulty);
    assert.equal(done?.volumeBackup.lifecycleState, State.Available);
    return done.volumeBackup;
  }

  async function listAll(request: core.requests.ListVolumeBackupsRequest): Promise<VolumeBackup[]> {
    const out: VolumeBackup[] = [];
    for await (const b of client.listAllVolumeBackups(request)) out.push(b);
    return out;
  }

  it('creates a backup, waits until AVAILABLE, reads it back with sizes, type, KMS key and tags', async () => {
    const volume = await fileVolume(api(), 'disk1', randomBytes(3 * MIB));
    const details = {
      volumeId: volume.ocid, displayName: 'first', type: core.models.CreateVolumeBackupDetails.Type.Full,
      kmsKeyId: 'ocid1.key.oc1..aaaaaaaakmskey', freeformTags: { team: 'db' }, definedTags: { ops: { tier: 'gold' } },
      // Fields a newer SDK might send: ignored, as OCI does.
      someFutureField: { nested: true }, isFutureFlagEnabled: false,
    } as core.models.CreateVolumeBackupDetails;
    const created = await client.createVolumeBackup({ createVolumeBackupDetails: details });
    const made = created.volumeBackup;
    assert.equal(made.volumeId, volume.ocid);
    assert.ok(([State.RequestReceived, State.Creating] as string[]).includes(made.lifecycleState));
    assert.equal(made.type, 'FULL');
    assert.equal(made.sourceType, 'MANUAL');
    assert.equal(made.compartmentId, TENANCY);
    assert.equal(made.kmsKeyId, 'ocid1.key.oc1..aaaaaaaakmskey');
    assert.equal(made.sizeInMBs, undefined, 'no size before the data is imaged');
    assert.ok(created.etag);
    assert.ok(created.opcRequestId);
    assert.ok(!('someFutureField' in made));

    first = await available(made.id);
    assert.equal(first.sizeInMBs, 3);
    assert.equal(first.sizeInGBs, 1);
    // Random bytes do not compress: this first backup stored the whole volume.
    assert.ok(first.uniqueSizeInMbs !== undefined && first.uniqueSizeInMbs >= 3 && first.uniqueSizeInMbs <= 4, `uniqueSizeInMbs ${first.uniqueSizeInMbs}`);
    assert.equal(first.uniqueSizeInGBs, 1);
    assert.ok(Date.parse(String(first.timeRequestReceived)) <= Date.parse(String(first.timeCreated)), 'requested no later than imaged');
    assert.deepEqual(first.freeformTags, { team: 'db' });
    assert.deepEqual(first.definedTags, { ops: { tier: 'gold' } });
    assert.equal(first.kmsKeyId, 'ocid1.key.oc1..aaaaaaaakmskey');

    const got = await client.getVolumeBackup({ volumeBackupId: made.id });
    assert.equal(got.volumeBackup.displayName, 'first');
    assert.equal(got.volumeBackup.type, 'FULL');
    assert.ok(got.etag);
    assert.notEqual(got.etag, created.etag, 'the etag follows the representation (the state changed)');

    // The same volume again, type left out: INCREMENTAL by default, and it stores next to nothing new.
    const again = await client.createVolumeBackup({ createVolumeBackupDetails: { volumeId: volume.ocid } });
    assert.equal(again.volumeBackup.type, 'INCREMENTAL');
    const second = await available(again.volumeBackup.id);
    assert.equal(second.sizeInMBs, 3);
    assert.ok(second.uniqueSizeInMbs !== undefined && second.uniqueSizeInMbs <= 1, `uniqueSizeInMbs ${second.uniqueSizeInMbs}`);
    assert.ok(String(second.timeCreated) >= String(first.timeCreated));
  });

  it('lists five backups in pages of two through opc-next-page, by hand and with the SDK\'s paginators', async () => {
    for (const name of names) {
      const volume = await fileVolume(api(), `list-${name}`, randomBytes(64 * 1024));
      made.push((await client.createVolumeBackup({ createVolumeBackupDetails: { volumeId: volume.ocid, displayName: name } })).volumeBackup);
    }
    for (const b of made) {
      await available(b.id);
      // A compartment of their own, so that the listing holds these five and only them.
      await client.changeVolumeBackupCompartment({ volumeBackupId: b.id, changeVolumeBackupCompartmentDetails: { compartmentId: COMPARTMENT } });
    }
    const ids = madeIds();

    // By hand: three pages of at most two, the last without opc-next-page.
    const pages: VolumeBackup[][] = [];
    let page: string | undefined;
    do {
      const res = await client.listVolumeBackups({ compartmentId: COMPARTMENT, limit: 2, ...(page === undefined ? {} : { page }) });
      pages.push(res.items);
      page = res.opcNextPage;
    } while (page !== undefined && pages.length < 10);
    assert.deepEqual(pages.map((p) => p.length), [2, 2, 1]);
    assert.deepEqual(pages.flat().map((b) => b.id).sort(), ids);
    for (const b of pages.flat()) assert.equal(b.compartmentId, COMPARTMENT);

    // The SDK's paginators loop on opc-next-page themselves.
    assert.deepEqual((await listAll({ compartmentId: COMPARTMENT, limit: 2 })).map((b) => b.id).sort(), ids);
    const viaPaginate: VolumeBackup[] = [];
    const listCall = (r: core.requests.ListVolumeBackupsRequest): Promise<core.responses.ListVolumeBackupsResponse> => client.listVolumeBackups(r);
    for await (const b of common.paginateRecords<core.requests.ListVolumeBackupsRequest, core.responses.ListVolumeBackupsResponse, VolumeBackup>({ compartmentId: COMPARTMENT, limit: 2 }, listCall)) viaPaginate.push(b);
    assert.deepEqual(viaPaginate.map((b) => b.id).sort(), ids);

    // A backup leaving the listing between two pages hides none of the others (the token is a place, not an offset).
    const head = await client.listVolumeBackups({ compartmentId: COMPARTMENT, limit: 2 });
    const leaving = head.items[0]!.id;
    await client.changeVolumeBackupCompartment({ volumeBackupId: leaving, changeVolumeBackupCompartmentDetails: { compartmentId: TENANCY } });
    const tail: VolumeBackup[] = [];
    for await (const b of client.listAllVolumeBackups({ compartmentId: COMPARTMENT, limit: 2, page: head.opcNextPage! })) tail.push(b);
    assert.deepEqual([...head.items, ...tail].map((b) => b.id).sort(), ids);
    await client.changeVolumeBackupCompartment({ volumeBackupId: leaving, changeVolumeBackupCompartmentDetails: { compartmentId: COMPARTMENT } });
    await assertOciError(client.listVolumeBackups({ compartmentId: COMPARTMENT, limit: 2, page: head.opcNextPage!, sortBy: SortBy.Displayname }), 400, 'InvalidParameter');
    await assertOciError(client.listVolumeBackups({ compartmentId: COMPARTMENT, page: 'not-a-token' }), 400, 'InvalidParameter');
  });

  it('sorts by DISPLAYNAME (ascending by default, case sensitive) and TIMECREATED (newest first, also by default)', async () => {
    const byName = [...names].sort();
    assert.deepEqual(byName, ['Alpha', 'Echo', 'bravo', 'charlie', 'delta']);
    assert.deepEqual((await listAll({ compartmentId: COMPARTMENT, limit: 2, sortBy: SortBy.Displayname })).map((b) => b.displayName), byName);
    assert.deepEqual((await listAll({ compartmentId: COMPARTMENT, limit: 2, sortBy: SortBy.Displayname, sortOrder: SortOrder.Asc })).map((b) => b.displayName), byName);
    assert.deepEqual((await listAll({ compartmentId: COMPARTMENT, limit: 3, sortBy: SortBy.Displayname, sortOrder: SortOrder.Desc })).map((b) => b.displayName), [...byName].reverse());

    const times = (items: VolumeBackup[]): number[] => items.map((b) => Date.parse(String(b.timeCreated)));
    const isSorted = (xs: number[], desc: boolean): boolean => xs.every((x, i) => i === 0 || (desc ? xs[i - 1]! >= x : xs[i - 1]! <= x));
    const newestFirst = await listAll({ compartmentId: COMPARTMENT, limit: 2, sortBy: SortBy.Timecreated });
    assert.ok(isSorted(times(newestFirst), true), JSON.stringify(times(newestFirst)));
    assert.ok(new Set(times(newestFirst)).size > 1, 'the backups were imaged at different moments');
    assert.deepEqual((await listAll({ compartmentId: COMPARTMENT, limit: 2 })).map((b) => b.id), newestFirst.map((b) => b.id));
    const oldestFirst = await listAll({ compartmentId: COMPARTMENT, limit: 2, sortBy: SortBy.Timecreated, sortOrder: SortOrder.Asc });
    assert.deepEqual(oldestFirst.map((b) => b.id), [...newestFirst].reverse().map((b) => b.id));
  });

  it('filters by volume, display name (exactly) and lifecycle state (any case); needs a compartment of the caller', async () => {
    const ids = madeIds();
    const one = made[2]!;
    assert.deepEqual((await client.listVolumeBackups({ compartmentId: COMPARTMENT, volumeId: one.volumeId })).items.map((b) => b.id), [one.id]);
    assert.deepEqual((await client.listVolumeBackups({ compartmentId: COMPARTMENT, displayName: 'charlie' })).items.map((b) => b.id), [one.id]);
    assert.equal((await client.listVolumeBackups({ compartmentId: COMPARTMENT, displayName: 'Charlie' })).items.length, 0, 'displayName matches exactly');
    const lower = 'available' as core.models.VolumeBackup.LifecycleState;
    assert.equal((await client.listVolumeBackups({ compartmentId: COMPARTMENT, lifecycleState: lower })).items.length, 5, 'the state is case-insensitive');
    assert.equal((await client.listVolumeBackups({ compartmentId: COMPARTMENT, lifecycleState: State.Available })).items.length, 5);
    assert.equal((await client.listVolumeBackups({ compartmentId: COMPARTMENT, lifecycleState: State.Terminated })).items.length, 0);
    assert.equal((await client.listVolumeBackups({ compartmentId: COMPARTMENT, sourceVolumeBackupId: one.id })).items.length, 0, 'none is a copy');
    await assertOciError(client.listVolumeBackups({ compartmentId: COMPARTMENT, lifecycleState: 'ready' as core.models.VolumeBackup.LifecycleState }), 400, 'InvalidParameter');
    // The backups of the first test stayed in the root compartment.
    assert.ok((await listAll({ compartmentId: TENANCY })).every((b) => !ids.includes(b.id) && b.compartmentId === TENANCY));

    await assertOciError(client.listVolumeBackups({} as core.requests.ListVolumeBackupsRequest), 400, 'MissingParameter');
    await assertOciError(client.listVolumeBackups({ compartmentId: 'ocid1.compartment.oc1..aaaaaaaanosuchcompartment' }), 404, 'NotAuthorizedOrNotFound');
  });

  it('updates the name and tags with the etag from get as if-match; a stale etag gets 412 NoEtagMatch', async () => {
    const got = await client.getVolumeBackup({ volumeBackupId: first.id });
    staleEtag = got.etag!;
    const details = { displayName: 'renamed', freeformTags: { team: 'web', env: 'prod' }, definedTags: { ops: { tier: 'silver' }, fin: { cc: 42 } } };
    const updated = await client.updateVolumeBackup({ volumeBackupId: first.id, ifMatch: got.etag, updateVolumeBackupDetails: details });
    assert.equal(updated.volumeBackup.displayName, 'renamed');
    assert.deepEqual(updated.volumeBackup.freeformTags, details.freeformTags);
    assert.deepEqual(updated.volumeBackup.definedTags, details.definedTags);
    assert.equal(updated.volumeBackup.kmsKeyId, 'ocid1.key.oc1..aaaaaaaakmskey', 'what the update leaves out stays');
    assert.ok(updated.etag);
    assert.notEqual(updated.etag, got.etag);

    const stale = await assertOciError(client.updateVolumeBackup({ volumeBackupId: first.id, ifMatch: got.etag, updateVolumeBackupDetails: { displayName: 'lost' } }), 412, 'NoEtagMatch');
    assert.equal(stale.statusCode, 412);
    const now = await client.getVolumeBackup({ volumeBackupId: first.id });
    assert.equal(now.volumeBackup.displayName, 'renamed');
    assert.equal(now.etag, updated.etag, 'the refused update changed nothing');
    assert.deepEqual(now.volumeBackup.freeformTags, details.freeformTags);
  });

  it('deletes with if-match, waits until TERMINATED, and shows it TERMINATED until the window ends, then 404', async () => {
    const got = await client.getVolumeBackup({ volumeBackupId: first.id });
    await assertOciError(client.deleteVolumeBackup({ volumeBackupId: first.id, ifMatch: staleEtag }), 412, 'NoEtagMatch');
    assert.equal((await client.getVolumeBackup({ volumeBackupId: first.id })).volumeBackup.lifecycleState, State.Available);

    await client.deleteVolumeBackup({ volumeBackupId: first.id, ifMatch: got.etag });
    const gone = await waiter.forVolumeBackup({ volumeBackupId: first.id }, State.Terminated);
    assert.equal(gone?.volumeBackup.lifecycleState, State.Terminated);
    for (let i = 0; i < 2; i++) assert.equal((await client.getVolumeBackup({ volumeBackupId: first.id })).volumeBackup.lifecycleState, State.Terminated);
    const terminated = (await client.listVolumeBackups({ compartmentId: TENANCY, lifecycleState: 'terminated' as core.models.VolumeBackup.LifecycleState })).items;
    assert.deepEqual(terminated.map((b) => b.id), [first.id]);
    await assertOciError(client.updateVolumeBackup({ volumeBackupId: first.id, updateVolumeBackupDetails: { displayName: 'x' } }), 404, 'NotAuthorizedOrNotFound');

    // OCI shows a TERMINATED backup for a while (an hour here), then no more.
    await backdateDeletion(api(), first.id, 59);
    assert.equal((await client.getVolumeBackup({ volumeBackupId: first.id })).volumeBackup.lifecycleState, State.Terminated);
    await backdateDeletion(api(), first.id, 61);
    await assertOciError(client.getVolumeBackup({ volumeBackupId: first.id }), 404, 'NotAuthorizedOrNotFound');
    await assertOciError(client.deleteVolumeBackup({ volumeBackupId: first.id }), 404, 'NotAuthorizedOrNotFound');
    assert.ok((await listAll({ compartmentId: TENANCY, lifecycleState: State.Terminated })).every((b) => b.id !== first.id));
    assert.ok((await listAll({ compartmentId: TENANCY })).every((b) => b.id !== first.id));
  });

  it('answers a repeated opc-retry-token with the first backup; another body with it gets 409 InvalidatedRetryToken', async () => {
    const volume = await fileVolume(api(), 'retry', randomBytes(64 * 1024));
    const details = { volumeId: volume.ocid, displayName: 'retried', freeformTags: { a: '1' } };
    const one = await client.createVolumeBackup({ createVolumeBackupDetails: details, opcRetryToken: 'retry-token-1' });
    const two = await client.createVolumeBackup({ createVolumeBackupDetails: { ...details }, opcRetryToken: 'retry-token-1' });
    assert.equal(two.volumeBackup.id, one.volumeBackup.id);
    await assertOciError(client.createVolumeBackup({ createVolumeBackupDetails: { ...details, displayName: 'other' }, opcRetryToken: 'retry-token-1' }), 409, 'InvalidatedRetryToken');
    await available(one.volumeBackup.id);
    const three = await client.createVolumeBackup({ createVolumeBackupDetails: details, opcRetryToken: 'retry-token-1' });
    assert.equal(three.volumeBackup.id, one.volumeBackup.id, 'still the same backup once it is made');
    const listed = await client.listVolumeBackups({ compartmentId: TENANCY, volumeId: volume.ocid });
    assert.deepEqual(listed.items.map((b) => b.id), [one.volumeBackup.id]);
  });

  it('refuses a second backup while the volume\'s backup runs with 409 IncorrectState and leaves nothing behind', async () => {
    const volume = await fileVolume(api(), 'big', randomBytes(64 * MIB));
    const running = await client.createVolumeBackup({ createVolumeBackupDetails: { volumeId: volume.ocid, displayName: 'big' } });
    const second = { createVolumeBackupDetails: { volumeId: volume.ocid, displayName: 'big-2' } };
    // Refused while the first is queued (REQUEST_RECEIVED) and again once it is being made (CREATING).
    await assertOciError(client.createVolumeBackup(second), 409, 'IncorrectState');
    const creating = await waiter.forVolumeBackup({ volumeBackupId: running.volumeBackup.id }, State.Creating, State.Available, State.Faulty);
    assert.equal(creating?.volumeBackup.lifecycleState, State.Creating);
    await assertOciError(client.createVolumeBackup(second), 409, 'IncorrectState');
    await assertOciError(client.deleteVolumeBackup({ volumeBackupId: running.volumeBackup.id }), 409, 'IncorrectState');
    // Proof that the refusals met a running backup, not a finished one.
    const during = await client.getVolumeBackup({ volumeBackupId: running.volumeBackup.id });
    assert.equal(during.volumeBackup.lifecycleState, State.Creating);
    const listed = await client.listVolumeBackups({ compartmentId: TENANCY, volumeId: volume.ocid });
    assert.deepEqual(listed.items.map((b) => b.id), [running.volumeBackup.id]);
    const done = await available(running.volumeBackup.id);
    assert.equal(done.sizeInMBs, 64);
    assert.equal((await client.listVolumeBackups({ compartmentId: TENANCY, volumeId: volume.ocid })).items.length, 1);
  });

  it('does not show another tenant\'s backups, compartments or volumes (404 NotAuthorizedOrNotFound)', async () => {
    const other = await otherTenant(api(), 'other');
    const theirVolume = await fileVolume({ ...api(), call: (m, p, o) => api().call(m, p, { ...o, token: other.token }) }, 'theirs', randomBytes(64 * 1024));
    const theirs = (await other.client.createVolumeBackup({ createVolumeBackupDetails: { volumeId: theirVolume.ocid, displayName: 'theirs' } })).volumeBackup;
    assert.equal(theirs.compartmentId, OTHER_TENANCY);
    const done = await waiters(other.client).forVolumeBackup({ volumeBackupId: theirs.id }, State.Available);
    const theirEtag = done?.etag;

    await assertOciError(client.getVolumeBackup({ volumeBackupId: theirs.id }), 404, 'NotAuthorizedOrNotFound');
    await assertOciError(client.updateVolumeBackup({ volumeBackupId: theirs.id, updateVolumeBackupDetails: { displayName: 'mine' } }), 404, 'NotAuthorizedOrNotFound');
    await assertOciError(client.deleteVolumeBackup({ volumeBackupId: theirs.id }), 404, 'NotAuthorizedOrNotFound');
    await assertOciError(client.changeVolumeBackupCompartment({ volumeBackupId: theirs.id, changeVolumeBackupCompartmentDetails: { compartmentId: TENANCY } }), 404, 'NotAuthorizedOrNotFound');
    await assertOciError(client.listVolumeBackups({ compartmentId: OTHER_TENANCY }), 404, 'NotAuthorizedOrNotFound');
    await assertOciError(client.createVolumeBackup({ createVolumeBackupDetails: { volumeId: theirVolume.ocid } }), 404, 'NotAuthorizedOrNotFound');
    assert.ok((await listAll({ compartmentId: TENANCY })).every((b) => b.id !== theirs.id));

    // Their backup is untouched, and they in turn do not see ours.
    const still = await other.client.getVolumeBackup({ volumeBackupId: theirs.id });
    assert.equal(still.volumeBackup.displayName, 'theirs');
    assert.equal(still.etag, theirEtag);
    assert.deepEqual((await other.client.listVolumeBackups({ compartmentId: OTHER_TENANCY })).items.map((b) => b.id), [theirs.id]);
    const ours = (await client.listVolumeBackups({ compartmentId: COMPARTMENT, limit: 1 })).items[0]!;
    await assertOciError(other.client.getVolumeBackup({ volumeBackupId: ours.id }), 404, 'NotAuthorizedOrNotFound');
    await assertOciError(other.client.listVolumeBackups({ compartmentId: TENANCY }), 404, 'NotAuthorizedOrNotFound');
  });
});
