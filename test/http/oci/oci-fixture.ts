/**
 * Test helper for the OCI dialect: a Holdfast server on loopback (api-fixture.ts)
 * whose default tenant has an OCI tenancy and a registered API key, and the
 * official OCI TypeScript SDK's BlockstorageClient pointed at it.
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as common from 'oci-common';
import * as core from 'oci-core';
import type { ApiFixture } from '../api-fixture.js';

export const TENANCY = 'ocid1.tenancy.oc1..aaaaaaaatenancyholdfasttest';
export const USER = 'ocid1.user.oc1..aaaaaaaauserholdfasttest';
export const COMPARTMENT = 'ocid1.compartment.oc1..aaaaaaaacompartmentholdfast';

// The SDK's circuit breaker would turn a run of expected errors into client-side failures.
common.CircuitBreaker.EnableGlobalCircuitBreaker = false;

export interface OciKey {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
  readonly fingerprint: string;
  readonly privateKey: KeyObject;
}

export function newKey(): OciKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const fingerprint = createHash('md5').update(der).digest('hex').match(/../g)!.join(':');
  return {
    privateKey, fingerprint, privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Gives the fixture's default tenant the test tenancy and compartment, and registers `key` for USER. */
export async function enableOci(api: ApiFixture, key: OciKey): Promise<void> {
  const tenants = await api.call('GET', '/v1/tenants');
  const id: string = tenants.json.items.find((t: { name: string }) => t.name === 'default').id;
  const me = await api.call('PATCH', `/v1/tenants/${id}`, { body: { aliases: { ociTenancy: [TENANCY], ociCompartment: [COMPARTMENT] } } });
  if (me.status !== 200) throw new Error(`aliases: ${me.status} ${JSON.stringify(me.json)}`);
  const cred = await api.call('POST', '/v1/tenants/me/credentials', { body: { kind: 'api-key', userOcid: USER, fingerprint: key.fingerprint, publicKey: key.publicKeyPem } });
  if (cred.status !== 201) throw new Error(`api key: ${cred.status} ${JSON.stringify(cred.json)}`);
}

export function blockstorageClient(url: string, key: OciKey): core.BlockstorageClient {
  const provider = new common.SimpleAuthenticationDetailsProvider(TENANCY, USER, key.fingerprint, key.privateKeyPem, null);
  const client = new core.BlockstorageClient({ authenticationDetailsProvider: provider });
  client.endpoint = url;
  return client;
}

export function waiters(client: core.BlockstorageClient): core.BlockstorageWaiter {
  return client.createWaiters(undefined as unknown as never, {
    terminationStrategy: new common.MaxTimeTerminationStrategy(120),
    delayStrategy: new common.FixedTimeDelayStrategy(0.2),
  });
}

/** Registers a file volume (a disk image of `bytes`) through the native API; answers its OCID. */
export async function fileVolume(api: ApiFixture, name: string, bytes: Buffer): Promise<{ path: string; ocid: string; id: string }> {
  const dir = join(api.dir, 'volumes-src');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.img`);
  writeFileSync(path, bytes);
  const res = await api.call('POST', '/v1/resources', { body: { name, driver: 'volume', config: { path } } });
  if (res.status !== 201) throw new Error(`resource: ${res.status} ${JSON.stringify(res.json)}`);
  const id: string = res.json.id;
  return { path, id, ocid: `ocid1.volume.oc1..${id.slice(4)}` };
}
