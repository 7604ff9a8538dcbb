/**
 * OCI request signatures (issue 4, "Auth"): the verifier's parts on their own
 * (parameter orders of the TS, Python and Go SDKs, the signing string), then requests signed by hand as the Python SDK / OCI CLI
 * sign them (over `date`) against a running server: accepted when right, 401
 * NotAuthenticated for every way of being wrong; two identical honest calls in
 * one second both pass (no replay memory). Last, the SDK's retrier re-signs each attempt.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as common from 'oci-common';
import { isHoldfastError } from '../../../src/common/errors.js';
import { MAX_CLOCK_SKEW_MS, parseAuthorization, signingString, verifySignature, type SignedRequest } from '../../../src/http/dialects/oci/signature.js';
import { useApiServer } from '../api-fixture.js';
import { authorizationHeader, PY_BODY_HEADERS, send, sha256Base64, signedCall, signedHeaders, type RawAnswer, type SignOptions } from './hand-signer.js';
import { blockstorageClient, enableOci, fileVolume, newKey, TENANCY, USER } from './oci-fixture.js';

const P = '/20160918';
const isUnauthenticated = (err: unknown): boolean => isHoldfastError(err, 'UNAUTHENTICATED');

function request(method: string, url: string, headers: Record<string, string>, body = Buffer.alloc(0)): SignedRequest {
  return { method, url, headers, body };
}

describe('signature.ts', () => {
  const key = newKey();
  const keyId = `${TENANCY}/${USER}/${key.fingerprint}`;

  it('parses the Authorization header in the TS, Python and Go SDKs\' parameter orders alike', () => {
    const names = ['x-date', '(request-target)', 'host', 'Content-Type', 'Content-Length', 'x-content-sha256'];
    for (const order of ['ts', 'python', 'go'] as const) {
      const p = parseAuthorization(authorizationHeader(keyId, names, 'c2ln', order));
      assert.deepEqual(p, { keyId, algorithm: 'rsa-sha256', headers: ['x-date', '(request-target)', 'host', 'content-type', 'content-length', 'x-content-sha256'], signature: 'c2ln' }, order);
    }
    assert.deepEqual(parseAuthorization('Signature keyId="a/b/c",signature="eA=="').headers, ['date'], 'cavage default');
  });

  it('refuses headers that are not a usable signature', () => {
    for (const h of [undefined, '', 'Bearer abc', 'Signature headers="date"', `Signature keyId="${keyId}"`,
      `Signature keyId="${keyId}",algorithm="hmac-sha256",signature="eA=="`, `Signature version="2",keyId="${keyId}",signature="eA=="`]) {
      assert.throws(() => parseAuthorization(h), isUnauthenticated, String(h));
    }
  });

  it('builds the signing string from the raw url and the headers in the listed order', () => {
    const headers = { date: 'Sun, 22 Nov 2026 04:24:13 GMT', host: '127.0.0.1:8080', 'content-type': 'application/json' };
    const url = '/20160918/volumeBackups/ocid1%2Evolumebackup%2Eoc1%2E%2Eab?x=%20y';
    const s = signingString({ keyId, algorithm: 'rsa-sha256', headers: ['date', '(request-target)', 'host'], signature: '' }, request('GET', url, headers));
    assert.equal(s, `date: Sun, 22 Nov 2026 04:24:13 GMT\n(request-target): get ${url}\nhost: 127.0.0.1:8080`);
    for (const missing of ['x-date', 'constructor', '__proto__']) {
      assert.throws(() => signingString({ keyId, algorithm: 'rsa-sha256', headers: [missing], signature: '' }, request('GET', url, headers)), isUnauthenticated, missing);
    }
  });

  it('checks the signed date, not an unsigned fresher x-date sent beside it', () => {
    const now = Date.parse('2026-11-22T04:24:13Z');
    const old = new Date(now - 2 * MAX_CLOCK_SKEW_MS);
    const headers = signedHeaders('http://h', 'GET', '/x', undefined, { key: key.privateKey, keyId, date: old, extra: { 'x-date': new Date(now).toUTCString() } });
    const params = parseAuthorization(headers.authorization);
    const req = request('GET', '/x', headers);
    assert.throws(() => verifySignature(params, req, key.publicKeyPem, now), /more than 5 minutes/);
    verifySignature(params, req, key.publicKeyPem, old.getTime() + 1000);
  });

});

function assertNotAuthenticated(r: RawAnswer, what: string): void {
  assert.equal(r.status, 401, `${what}: ${r.status} ${r.text}`);
  assert.equal(r.json?.code, 'NotAuthenticated', what);
  assert.equal(typeof r.json?.message, 'string', what);
  assert.match(String(r.headers['opc-request-id']), /^[0-9A-F]{32}$/, what);
}

describe('OCI-signed requests against the server', () => {
  const api = useApiServer('holdfast-oci-sig-');
  const key = newKey();
  const keyId = `${TENANCY}/${USER}/${key.fingerprint}`;
  const as: SignOptions = { key: key.privateKey, keyId };
  let url = '';
  let backupOcid = '';
  let volumeOcid = '';
  before(async () => {
    await enableOci(api(), key);
    url = api().url;
    volumeOcid = (await fileVolume(api(), 'sig1', Buffer.alloc(64 * 1024, 7))).ocid;
  });

  it('accepts a POST signed over date with content-length, content-type and x-content-sha256 (the Python SDK / OCI CLI way)', async () => {
    const r = await signedCall(url, 'POST', `${P}/volumeBackups`, JSON.stringify({ volumeId: volumeOcid, displayName: 'by-hand' }), as);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.displayName, 'by-hand');
    assert.ok(r.headers.etag);
    backupOcid = r.json.id;
  });

  it('accepts GETs signed over date (request-target) host in every SDK\'s parameter order', async () => {
    for (const order of ['ts', 'python', 'go'] as const) {
      const r = await signedCall(url, 'GET', `${P}/volumeBackups?compartmentId=${encodeURIComponent(TENANCY)}`, undefined, { ...as, order });
      assert.equal(r.status, 200, `${order}: ${r.text}`);
      assert.deepEqual(r.json.map((b: { id: string }) => b.id), [backupOcid]);
    }
  });

  it('signs the raw request target: a percent-encoded OCID path verifies as sent, not as decoded', async () => {
    const encoded = `${P}/volumeBackups/${backupOcid.replaceAll('.', '%2E')}`;
    const r = await signedCall(url, 'GET', encoded, undefined, as);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.id, backupOcid);
    const decodedSigned = signedHeaders(url, 'GET', `${P}/volumeBackups/${backupOcid}`, undefined, as);
    assertNotAuthenticated(await send(url, 'GET', encoded, decodedSigned), 'signed over the decoded path');
    const noQuery = signedHeaders(url, 'GET', `${P}/volumeBackups`, undefined, as);
    assertNotAuthenticated(await send(url, 'GET', `${P}/volumeBackups?compartmentId=${TENANCY}`, noQuery), 'query left out of the signature');
  });

  it('answers 401 NotAuthenticated to a wrong key, a bad keyId, no or garbage signature', async () => {
    const list = `${P}/volumeBackups?compartmentId=${TENANCY}`;
    const other = newKey();
    assertNotAuthenticated(await signedCall(url, 'GET', list, undefined, { ...as, key: other.privateKey }), 'another key under the registered keyId');
    assertNotAuthenticated(await signedCall(url, 'GET', list, undefined, { ...as, keyId: `ocid1.tenancy.oc1..aaaaaaaaothertenancy/${USER}/${key.fingerprint}` }), 'another tenancy');
    assertNotAuthenticated(await signedCall(url, 'GET', list, undefined, { ...as, keyId: `${TENANCY}/${USER}/${other.fingerprint}` }), 'unregistered fingerprint');
    assertNotAuthenticated(await signedCall(url, 'GET', list, undefined, { ...as, keyId: 'ST$eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln' }), 'security token');
    const good = signedHeaders(url, 'GET', list, undefined, as);
    const { authorization: _, ...unsigned } = good;
    assertNotAuthenticated(await send(url, 'GET', list, unsigned), 'no Authorization header');
    const garbage = { ...good, authorization: good.authorization!.replace(/signature="[^"]*"/, 'signature="%%%not-base64%%%"') };
    assertNotAuthenticated(await send(url, 'GET', list, garbage), 'garbage base64');
    assertNotAuthenticated(await send(url, 'GET', list, { ...good, authorization: 'Bearer abc' }), 'not a Signature');
  });

  it('answers 401 to a date 10 minutes off either way', async () => {
    const list = `${P}/volumeBackups?compartmentId=${TENANCY}`;
    assertNotAuthenticated(await signedCall(url, 'GET', list, undefined, { ...as, date: new Date(Date.now() - 10 * 60_000) }), '10 minutes old');
    assertNotAuthenticated(await signedCall(url, 'GET', list, undefined, { ...as, date: new Date(Date.now() + 10 * 60_000) }), '10 minutes ahead');
    assertNotAuthenticated(await signedCall(url, 'GET', list, undefined, { ...as, date: new Date(Date.now() - 10 * 60_000), extra: { 'x-date': new Date().toUTCString() } }),
      'an old signed date beside a fresh unsigned x-date');
  });

  it('answers 401 to a body changed after signing', async () => {
    const path = `${P}/volumeBackups/${backupOcid}`;
    const signed = Buffer.from(JSON.stringify({ displayName: 'aaaa' }));
    const changed = Buffer.from(JSON.stringify({ displayName: 'bbbb' }));
    const headers = signedHeaders(url, 'PUT', path, signed, as);
    assertNotAuthenticated(await send(url, 'PUT', path, headers, changed), 'same length, x-content-sha256 of the signed body');
    assertNotAuthenticated(await send(url, 'PUT', path, { ...headers, 'x-content-sha256': sha256Base64(changed) }, changed), 'hash recomputed for the new body');
    const r = await send(url, 'PUT', path, headers, signed);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.displayName, 'aaaa');
  });

  it('answers 401 when a required header is not signed or a signed one is missing', async () => {
    const path = `${P}/volumeBackups/${backupOcid}`;
    const body = Buffer.from(JSON.stringify({ displayName: 'x' }));
    const cases: [string, readonly string[], Record<string, string>?][] = [
      ['POST/PUT without x-content-sha256 signed', PY_BODY_HEADERS.filter((h) => h !== 'x-content-sha256')],
      ['without content-type signed', PY_BODY_HEADERS.filter((h) => h !== 'content-type')],
      ['without host signed', PY_BODY_HEADERS.filter((h) => h !== 'host')],
      ['without (request-target) signed', PY_BODY_HEADERS.filter((h) => h !== '(request-target)')],
      ['without any date signed', PY_BODY_HEADERS.filter((h) => h !== 'date')],
      ['a listed header absent', [...PY_BODY_HEADERS, 'opc-request-id']],
    ];
    for (const [what, names] of cases) assertNotAuthenticated(await signedCall(url, 'PUT', path, body, { ...as, sign: names }), what);
    const headers = signedHeaders(url, 'PUT', path, body, as);
    const { 'x-content-sha256': _, ...noHash } = headers;
    assertNotAuthenticated(await send(url, 'PUT', path, noHash, body), 'signed x-content-sha256 not sent');
  });

  it('accepts two identical signed creates in one second with different retry tokens (no replay memory: the SDK makes such pairs)', async () => {
    const volume = (await fileVolume(api(), 'sig2', Buffer.alloc(8192, 1))).ocid;
    const create = Buffer.from(JSON.stringify({ volumeId: volume }));
    const signed = signedHeaders(url, 'POST', `${P}/volumeBackups`, create, { ...as, extra: { 'opc-retry-token': 'token-1' } });
    const first = await send(url, 'POST', `${P}/volumeBackups`, signed, create);
    assert.equal(first.status, 200, first.text);
    const retry = await send(url, 'POST', `${P}/volumeBackups`, signed, create);
    assert.equal(retry.status, 200, retry.text);
    assert.equal(retry.json.id, first.json.id, 'the same retry token answers the first backup');
    const other = await send(url, 'POST', `${P}/volumeBackups`, { ...signed, 'opc-retry-token': 'token-2' }, create);
    assert.notEqual(other.status, 401, other.text);
  });

  it('lets the SDK repeat a create with its own opc-retry-token and poll the same GET several times a second', async () => {
    const client = blockstorageClient(url, key);
    const volume = (await fileVolume(api(), 'sig3', Buffer.alloc(8192, 2))).ocid;
    const details = { volumeId: volume, displayName: 'sdk-twice' };
    const [a, b] = [await client.createVolumeBackup({ createVolumeBackupDetails: details, opcRetryToken: 'sdk-token' }),
      await client.createVolumeBackup({ createVolumeBackupDetails: details, opcRetryToken: 'sdk-token' })];
    assert.equal(b.volumeBackup.id, a.volumeBackup.id);
    const gets = await Promise.all([1, 2, 3].map(() => client.getVolumeBackup({ volumeBackupId: a.volumeBackup.id })));
    assert.deepEqual(gets.map((g) => g.volumeBackup.id), [a.volumeBackup.id, a.volumeBackup.id, a.volumeBackup.id]);
  });
});

describe('the SDK\'s retrier re-signs every attempt', () => {
  const key = newKey();
  let stub: Server;
  const seen: { req: SignedRequest; authorization: string }[] = [];
  before(async () => {
    stub = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ req: request(req.method!, req.url!, req.headers as Record<string, string>, Buffer.concat(chunks)), authorization: req.headers.authorization ?? '' });
        const busy = seen.length === 1;
        res.writeHead(busy ? 409 : 200, { 'content-type': 'application/json', 'opc-request-id': 'stub', etag: 'e' });
        res.end(JSON.stringify(busy ? { code: 'IncorrectState', message: 'busy' }
          : { id: 'ocid1.volumebackup.oc1..ab', compartmentId: TENANCY, displayName: 'd', lifecycleState: 'CREATING', timeCreated: '2026-01-01T00:00:00Z', type: 'FULL' }));
      });
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
  });
  after(() => new Promise<void>((resolve) => stub.close(() => resolve())));

  it('sends a fresh x-date and signature after a 409 IncorrectState, each verifying', async () => {
    const client = blockstorageClient(`http://127.0.0.1:${(stub.address() as AddressInfo).port}`, key);
    const retryConfiguration = { terminationStrategy: new common.MaxAttemptsTerminationStrategy(3) };
    const r = await client.createVolumeBackup({ createVolumeBackupDetails: { volumeId: 'ocid1.volume.oc1..ab' }, retryConfiguration });
    assert.equal(r.volumeBackup.id, 'ocid1.volumebackup.oc1..ab');
    assert.equal(seen.length, 2);
    const [first, second] = seen as [typeof seen[0], typeof seen[0]];
    assert.notEqual(first.req.headers['x-date'], second.req.headers['x-date']);
    assert.equal(first.req.headers['opc-retry-token'], second.req.headers['opc-retry-token'], 'the SDK keeps its retry token');
    for (const { req, authorization } of seen) {
      verifySignature(parseAuthorization(authorization), req, key.publicKeyPem, Date.parse(String(req.headers['x-date'])));
    }
  });
});
