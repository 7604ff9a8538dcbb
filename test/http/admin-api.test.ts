/**
 * The admin API over real HTTP: tenants with their dialect aliases (system
 * admin only), a tenant's credentials of each kind (token, scrypt password,
 * OCI API key checked against its fingerprint), deletion rules, and the
 * repository read-out an owner uses to run restic directly.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { authenticatePassword } from '../../src/app/credentials.js';
import { isHoldfastError } from '../../src/common/errors.js';
import { call, startHarness, tenantWithTokens, type Harness } from './admin-harness.js';

const RESTIC = '/usr/bin/restic';
const TENANCY = 'ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq';
const PROJECT = '0123456789abcdef0123456789abcdef';

/** The fingerprint as OCI's documentation computes it: `openssl rsa -pubout -outform DER | openssl md5 -c`. */
function opensslFingerprint(pem: string): string {
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: pem });
  return execFileSync('openssl', ['md5', '-c'], { input: der, encoding: 'utf8' }).trim().split('= ').pop()!;
}

describe('admin API', () => {
  let h: Harness;
  let acme: Awaited<ReturnType<typeof tenantWithTokens>>;
  let globex: Awaited<ReturnType<typeof tenantWithTokens>>;
  const as = (token: string) => (method: string, path: string, body?: unknown) => call(h.url, method, path, { token, body });

  before(async () => {
    h = await startHarness();
    acme = await tenantWithTokens(h, 'acme');
    globex = await tenantWithTokens(h, 'globex');
  });
  after(async () => h?.close());

  it('lets the system admin create, list, read and re-alias tenants', async () => {
    const sys = as(h.sysToken);
    const created = await sys('POST', '/v1/tenants', { name: 'initech', aliases: { identityDomain: ['initech', 'idcs-4f3a'], ociTenancy: [TENANCY], otcProject: [PROJECT] } });
    assert.equal(created.status, 201, created.text);
    assert.match(created.json.id, /^ten_/);
    assert.deepEqual(created.json.aliases.ociTenancy, [TENANCY]);
    assert.deepEqual((await h.app.catalog.tenants.findByAlias('otcProject', PROJECT))?.id, created.json.id);
    const list = await sys('GET', '/v1/tenants');
    assert.deepEqual(list.json.items.map((t: { name: string }) => t.name), ['acme', 'default', 'globex', 'initech']);
    assert.equal((await sys('GET', `/v1/tenants/${created.json.id}`)).json.name, 'initech');
    const patched = await sys('PATCH', `/v1/tenants/${created.json.id}`, { aliases: { identityDomain: ['initech2'] } });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(patched.json.aliases, { identityDomain: ['initech2'] });
    assert.equal(await h.app.catalog.tenants.findByAlias('ociTenancy', TENANCY), undefined);
  });

  it('rejects bad names, alias shapes, unknown alias kinds and taken aliases', async () => {
    const sys = as(h.sysToken);
    assert.equal((await sys('POST', '/v1/tenants', { name: 'Bad Name' })).status, 400);
    assert.equal((await sys('POST', '/v1/tenants', { name: 'x1', aliases: { ociTenancy: ['ocid1.user.oc1..abc'] } })).json.code, 'INVALID_ARGUMENT');
    assert.equal((await sys('POST', '/v1/tenants', { name: 'x2', aliases: { otcProject: ['not-hex'] } })).status, 400);
    assert.equal((await sys('POST', '/v1/tenants', { name: 'x3', aliases: { awsAccount: ['1'] } })).status, 400);
    assert.equal((await sys('POST', '/v1/tenants', { name: 'acme' })).status, 409);
    await sys('PATCH', `/v1/tenants/${acme.id}`, { aliases: { identityDomain: ['acme-domain'] } });
    const taken = await sys('PATCH', `/v1/tenants/${globex.id}`, { aliases: { identityDomain: ['acme-domain'] } });
    assert.equal(taken.status, 409);
    assert.equal(taken.json.code, 'ALREADY_EXISTS');
    assert.equal((await sys('GET', '/v1/tenants/ten_nope')).status, 404);
  });

  it('answers 403 FORBIDDEN to tenant admins and members on tenant routes', async () => {
    for (const token of [acme.admin, acme.member]) {
      const r = await as(token)('GET', '/v1/tenants');
      assert.equal(r.status, 403);
      assert.deepEqual(Object.keys(r.json).sort(), ['code', 'message']);
      assert.equal(r.json.code, 'FORBIDDEN');
      assert.equal((await as(token)('POST', '/v1/tenants', { name: 'mine' })).status, 403);
    }
    assert.equal((await as(acme.member)('GET', '/v1/tenants/me/credentials')).status, 403);
  });

  it('issues a token once, lists credentials without secrets, and revokes on delete', async () => {
    const admin = as(acme.admin);
    const made = await admin('POST', '/v1/tenants/me/credentials', { kind: 'token', name: 'ci', role: 'member' });
    assert.equal(made.status, 201, made.text);
    assert.match(made.json.token, /^hf_/);
    assert.equal((await as(made.json.token)('GET', '/v1/resources')).status, 200);
    const list = await admin('GET', `/v1/tenants/${acme.id}/credentials`);
    assert.ok(list.json.items.some((c: { id: string }) => c.id === made.json.id));
    const secretBits = made.json.token.split('_');
    for (const part of [made.json.token, secretBits[2], 'secretHash', 'lookupId', 'scrypt$']) assert.ok(!list.text.includes(part), part);
    assert.equal((await admin('DELETE', `/v1/tenants/me/credentials/${made.json.id}`)).status, 204);
    assert.equal((await as(made.json.token)('GET', '/v1/resources')).status, 401);
    assert.equal((await admin('DELETE', `/v1/tenants/me/credentials/${made.json.id}`)).status, 404);
  });

  it('stores user passwords with scrypt and checks them for HTTP Basic', async () => {
    const admin = as(acme.admin);
    const made = await admin('POST', '/v1/tenants/me/credentials', { kind: 'password', user: 'alice', password: 'correct horse battery' });
    assert.equal(made.status, 201, made.text);
    assert.equal(made.json.principal, 'alice');
    assert.ok(!made.text.includes('correct horse'));
    const row = await h.app.catalog.credentials.get(acme.id, made.json.id);
    assert.match(row!.secretHash!, /^scrypt\$/);
    assert.equal((await authenticatePassword(h.app, acme.id, 'alice', 'correct horse battery')).tenantId, acme.id);
    await assert.rejects(authenticatePassword(h.app, acme.id, 'alice', 'wrong'), (e) => isHoldfastError(e, 'UNAUTHENTICATED'));
    await assert.rejects(authenticatePassword(h.app, globex.id, 'alice', 'correct horse battery'), (e) => isHoldfastError(e, 'UNAUTHENTICATED'));
    assert.equal((await admin('POST', '/v1/tenants/me/credentials', { kind: 'password', user: 'alice', password: 'another one!' })).status, 409);
    assert.equal((await admin('POST', '/v1/tenants/me/credentials', { kind: 'password', user: 'bob', password: 'short' })).status, 400);
  });

  it('accepts an OCI API key only when its fingerprint is the MD5 of the key, as OCI computes it', async () => {
    const admin = as(acme.admin);
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const fingerprint = opensslFingerprint(pem);
    const userOcid = 'ocid1.user.oc1..aaaaaaaauser1';
    const wrong = await admin('POST', '/v1/tenants/me/credentials', { kind: 'api-key', userOcid, fingerprint: fingerprint.replace(/^../, (x) => (x === '00' ? '01' : '00')), publicKey: pem });
    assert.equal(wrong.status, 400);
    assert.match(wrong.json.message, /fingerprint/);
    assert.equal((await admin('POST', '/v1/tenants/me/credentials', { kind: 'api-key', userOcid, fingerprint, publicKey: 'not a pem' })).status, 400);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    assert.equal((await admin('POST', '/v1/tenants/me/credentials', { kind: 'api-key', userOcid, fingerprint: opensslFingerprint(ec), publicKey: ec })).status, 400);
    const ok = await admin('POST', '/v1/tenants/me/credentials', { kind: 'api-key', userOcid, fingerprint, publicKey: pem });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.json.principal, `${userOcid}/${fingerprint}`);
    assert.equal((await admin('POST', `/v1/tenants/${acme.id}/credentials`, { kind: 'api-key', userOcid, fingerprint, publicKey: pem })).status, 409);
  });

  it('lets a tenant admin manage only its own tenant, the system admin any', async () => {
    assert.equal((await as(acme.admin)('GET', `/v1/tenants/${globex.id}/credentials`)).status, 404);
    assert.equal((await as(acme.admin)('POST', `/v1/tenants/${globex.id}/credentials`, { kind: 'token' })).status, 404);
    assert.equal((await as(acme.admin)('DELETE', `/v1/tenants/${globex.id}/credentials/${globex.adminCredId}`)).status, 404);
    assert.equal((await as(h.sysToken)('GET', `/v1/tenants/${globex.id}/credentials`)).json.items.length, 2);
  });

  it('hands a tenant admin its repository location and password, which restic opens', async () => {
    const repo = await as(acme.admin)('GET', '/v1/repository');
    assert.equal(repo.status, 200, repo.text);
    assert.equal(repo.json.tenantId, acme.id);
    assert.ok(repo.json.location.startsWith(h.dir));
    assert.ok(repo.json.password.length >= 32);
    assert.equal((await as(acme.admin)('GET', '/v1/repository')).json.password, repo.json.password);
    assert.notEqual((await as(globex.admin)('GET', '/v1/repository')).json.location, repo.json.location);
    assert.equal((await as(acme.member)('GET', '/v1/repository')).status, 403);
    if (!existsSync(RESTIC)) return;
    const out = execFileSync(RESTIC, ['-r', repo.json.location, 'snapshots', '--json', '--no-lock'], { env: { ...process.env, RESTIC_PASSWORD: repo.json.password }, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), []);
  });

  it('deletes only empty tenants, never the default one nor its last admin credential', async () => {
    const sys = as(h.sysToken);
    const temp = await tenantWithTokens(h, 'temp');
    const res = await as(temp.admin)('POST', '/v1/resources', { name: 'r', driver: 'volume', config: { path: '/srv/x' } });
    assert.equal(res.status, 201, res.text);
    const repo = await as(temp.admin)('GET', '/v1/repository');
    assert.equal((await sys('DELETE', `/v1/tenants/${temp.id}`)).status, 409);
    assert.equal((await as(temp.admin)('DELETE', `/v1/resources/${res.json.id}`)).status, 204);
    assert.equal((await sys('DELETE', `/v1/tenants/${temp.id}`)).status, 204);
    assert.equal((await as(temp.admin)('GET', '/v1/resources')).status, 401);
    assert.equal(existsSync(repo.json.location), false);
    assert.equal((await sys('GET', `/v1/tenants/${temp.id}`)).status, 404);
    const def = (await sys('GET', '/v1/tenants')).json.items.find((t: { name: string }) => t.name === 'default');
    assert.equal((await sys('DELETE', `/v1/tenants/${def.id}`)).status, 409);
    const creds = (await sys('GET', '/v1/tenants/me/credentials')).json.items;
    assert.equal(creds.length, 1);
    assert.equal((await sys('DELETE', `/v1/tenants/me/credentials/${creds[0].id}`)).status, 409);
  });
});
