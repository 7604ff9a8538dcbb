/**
 * Helpers of the volume-backup SDK test: the OciError a failing SDK call
 * throws, a second tenant with its own tenancy, API key and volume (made
 * through the native admin API, as enableOci does for the default tenant), and
 * moving a deletion back in time to see the end of OCI's TERMINATED window
 * without waiting an hour (the server has no injectable clock).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as common from 'oci-common';
import * as core from 'oci-core';
import { fromOcid, VOLUME_BACKUP } from '../../../src/http/dialects/oci/ocids.js';
import type { ApiFixture } from '../api-fixture.js';
import { openFor } from '../open-catalog.js';
import { newKey } from './oci-fixture.js';

export const OTHER_TENANCY = 'ocid1.tenancy.oc1..aaaaaaaaothertenancyholdfast';
const OTHER_USER = 'ocid1.user.oc1..aaaaaaaaotheruserholdfast';

/**
 * Runs a call that must fail and answers the SDK's OciError (status, service
 * code) for the test to check. By its shape: oci-core throws the OciError of
 * its own copy of oci-common, another class than the top-level package's.
 */
export async function ociError(call: Promise<unknown>): Promise<common.OciError> {
  try {
    await call;
  } catch (err) {
    const e = err as Partial<common.OciError>;
    assert.ok(e.constructor?.name === 'OciError' && typeof e.statusCode === 'number' && typeof e.serviceCode === 'string', `not an OciError: ${String(err)}`);
    return err as common.OciError;
  }
  assert.fail('the call succeeded');
}

export async function assertOciError(call: Promise<unknown>, statusCode: number, serviceCode: string): Promise<common.OciError> {
  const err = await ociError(call);
  assert.deepEqual([err.statusCode, err.serviceCode], [statusCode, serviceCode], err.message);
  assert.ok(err.opcRequestId, 'an error answer carries opc-request-id');
  return err;
}

export interface OtherTenant {
  readonly client: core.BlockstorageClient;
  /** A bearer token of the tenant for the native API. */
  readonly token: string;
}

/** A new tenant whose tenancy is OTHER_TENANCY, with an API key for OTHER_USER and a member token. */
export async function otherTenant(api: ApiFixture, name: string): Promise<OtherTenant> {
  const key = newKey();
  const made = await api.call('POST', '/v1/tenants', { body: { name, aliases: { ociTenancy: [OTHER_TENANCY] } } });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  const id: string = made.json.id;
  const cred = await api.call('POST', `/v1/tenants/${id}/credentials`, { body: { kind: 'api-key', userOcid: OTHER_USER, fingerprint: key.fingerprint, publicKey: key.publicKeyPem } });
  assert.equal(cred.status, 201, JSON.stringify(cred.json));
  const tok = await api.call('POST', `/v1/tenants/${id}/credentials`, { body: { kind: 'token', role: 'admin' } });
  assert.equal(tok.status, 201, JSON.stringify(tok.json));
  const provider = new common.SimpleAuthenticationDetailsProvider(OTHER_TENANCY, OTHER_USER, key.fingerprint, key.privateKeyPem, null);
  const client = new core.BlockstorageClient({ authenticationDetailsProvider: provider });
  client.endpoint = api.url;
  return { client, token: tok.json.token };
}

/** Pretends the backup was deleted `minutes` ago: rewrites the moment its delete job recorded. */
export async function backdateDeletion(api: ApiFixture, backupOcid: string, minutes: number): Promise<void> {
  const tenants = await api.call('GET', '/v1/tenants');
  const tenantId: string = tenants.json.items.find((t: { name: string }) => t.name === 'default').id;
  const id = fromOcid(VOLUME_BACKUP, backupOcid)!;
  const { catalog } = await openFor(join(api.dir, 'data'));
  try {
    const backup = await catalog.backups.get(tenantId, id);
    assert.equal(backup?.state, 'DELETED');
    assert.equal(typeof backup.extra['timeDeleted'], 'string', 'the delete job records when it ended');
    const timeDeleted = new Date(Date.now() - minutes * 60_000).toISOString();
    await catalog.backups.update(tenantId, id, { extra: { ...backup.extra, timeDeleted } });
  } finally {
    await catalog.close();
  }
}
