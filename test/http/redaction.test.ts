/**
 * Secrets never in logs nor answers (issue 3, acceptance): a server logging
 * at trace level into a captured stream — with a request serializer that
 * includes every header, as someone debugging might configure — receives
 * distinctive secrets in every credential field (bearer, Basic, OTC token
 * and API-key headers, credential bodies, database passwords in resource
 * configs and restore targets), on successful and failing requests alike.
 * None of them may appear in the log output, nor in any answer other than
 * the one that hands out a new token.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { generateKeyPairSync } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { splitToken } from '../../src/app/secrets.js';
import { call, startHarness, type Answer, type CallOptions, type Harness } from './admin-harness.js';

/** Distinctive, so a match can only be a leak. */
const SECRET = {
  basic: 'S3cret-basic-7f1d29',
  forged: 'S3cretForgedBearerValue0123456789abcdefABCD',
  password: 'S3cret-user-password-a8c3',
  pgUrl: 'S3cret-pg-url-5e0b',
  pgField: 'S3cret-pg-field-91d4',
  maria: 'S3cret-maria-22af',
  redis: 'S3cret-redis-0c77',
  target: 'S3cret-restore-target-6b19',
  invalid: 'S3cret-in-bad-body-3e58',
  otc: 'S3cret-otc-token-4471',
  apiKey: 'S3cret-x-api-key-9902',
  patch: 'S3cret-patched-pw-1d0e',
  hookUrl: 'S3cret-hook-url-77e2',
};

describe('secrets in logs and answers', () => {
  let h: Harness;
  let log = '';
  let token = '';
  const answers: Answer[] = [];
  const send = async (method: string, path: string, o: CallOptions = {}): Promise<Answer> => {
    const r = await call(h.url, method, path, { token, ...o });
    answers.push(r);
    return r;
  };

  before(async () => {
    const stream = new Writable({ write(chunk, _enc, done) { log += chunk.toString(); done(); } });
    const serializers = { req: (req: FastifyRequest) => ({ method: req.method, url: req.url, headers: req.headers }) };
    h = await startHarness({ logger: { level: 'trace', stream, serializers } });
    const made = await call(h.url, 'POST', '/v1/tenants/me/credentials', { token: h.sysToken, body: { kind: 'token', role: 'admin', name: 'redaction' } });
    token = made.json.token;
  });
  after(async () => h?.close());

  it('keeps credential headers out of the log', async () => {
    await send('GET', '/v1/resources');
    await send('GET', '/v1/resources', { token: `hf_AAAAAAAAAAAA_${SECRET.forged}` });
    await send('GET', '/v1/resources', { token: undefined, headers: { authorization: `Basic ${Buffer.from(`alice:${SECRET.basic}`).toString('base64')}` } });
    await send('GET', '/v1/resources', { headers: { 'x-auth-token': SECRET.otc, 'x-api-key': SECRET.apiKey } });
    assert.match(log, /incoming request/);
    assert.match(log, /\[redacted\]/, 'the headers were logged, with the credential ones censored');
  });

  it('keeps credential bodies out of the log and the answers', async () => {
    await send('POST', '/v1/tenants/me/credentials', { body: { kind: 'password', user: 'alice', password: SECRET.password } });
    await send('POST', '/v1/tenants/me/credentials', { body: { kind: 'password', user: 'alice', password: SECRET.password } });
    await send('POST', '/v1/tenants/me/credentials', { body: { kind: 'password', user: 'bad user', password: SECRET.password } });
    await send('POST', '/v1/tenants/me/credentials', { body: { kind: 'password', user: 'bob', password: SECRET.password, extra: SECRET.password } });
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await send('POST', '/v1/tenants/me/credentials', { body: { kind: 'api-key', userOcid: 'ocid1.user.oc1..x', fingerprint: '00:11', publicKey: `${pem}${SECRET.invalid}` } });
    await send('GET', '/v1/tenants/me/credentials');
  });

  it('masks database passwords of resource configs in every answer', async () => {
    const pg = await send('POST', '/v1/resources', { body: { name: 'pg', driver: 'postgres', config: { url: `postgres://app:${SECRET.pgUrl}@127.0.0.1:5432/appdb` } } });
    assert.equal(pg.status, 201, pg.text);
    assert.equal(pg.json.config.conn.password, '[redacted]');
    const pg2 = await send('POST', '/v1/resources', { body: { name: 'pg2', driver: 'postgres', config: { url: 'postgres://app@127.0.0.1/appdb', password: SECRET.pgField } } });
    assert.equal(pg2.status, 201, pg2.text);
    const maria = await send('POST', '/v1/resources', { body: { name: 'maria', driver: 'mariadb', config: { host: '127.0.0.1', user: 'root', password: SECRET.maria, database: 'shop' } } });
    assert.equal(maria.status, 201, maria.text);
    assert.equal(maria.json.config.password, '[redacted]');
    const redis = await send('POST', '/v1/resources', { body: { name: 'redis', driver: 'redis', config: { url: `redis://:${SECRET.redis}@127.0.0.1:6379` } } });
    assert.equal(redis.status, 201, redis.text);
    const vol = await send('POST', '/v1/resources', { body: { name: 'vol', driver: 'volume', config: { path: '/srv/v', preHook: ['curl', `https://ops:${SECRET.hookUrl}@hooks.example/freeze`] } } });
    assert.equal(vol.status, 201, vol.text);
    assert.equal(vol.json.config.preHook[1], 'https://ops:[redacted]@hooks.example/freeze');
    await send('GET', `/v1/resources/${pg.json.id}`);
    await send('GET', `/v1/resources/${maria.json.id}`);
    await send('GET', '/v1/resources');
    await send('PATCH', `/v1/resources/${maria.json.id}`, { body: { config: { host: '127.0.0.1', user: 'root', password: SECRET.patch, database: 'shop' } } });
    // The real password is still stored: masking is for answers only.
    assert.equal(((await h.app.catalog.resources.get(maria.json.tenantId, maria.json.id))!.config as { password: string }).password, SECRET.patch);
  });

  it('masks a restore target password in the job answers', async () => {
    const pg = (await send('GET', '/v1/resources')).json.items.find((r: { name: string }) => r.name === 'pg');
    const backup = await send('POST', '/v1/backups', { body: { resourceId: pg.id } });
    assert.equal(backup.status, 202, backup.text);
    await send('POST', `/v1/jobs/${backup.json.job.id}/cancel`);
    await h.app.catalog.backups.update(pg.tenantId, backup.json.id, { state: 'AVAILABLE' });
    const restore = await send('POST', `/v1/backups/${backup.json.id}/restore`, { body: { target: { url: `postgres://app:${SECRET.target}@127.0.0.1:5432/copy` } } });
    assert.equal(restore.status, 202, restore.text);
    const job = await send('GET', `/v1/jobs/${restore.json.id}`);
    assert.equal(job.json.params.target.conn.password, '[redacted]');
  });

  it('keeps secrets in rejected bodies out of the log and the answers', async () => {
    await send('POST', '/v1/resources', { body: { name: 'bad', driver: 'postgres', config: { url: `not a url ${SECRET.invalid}`, password: SECRET.invalid } } });
    await send('POST', '/v1/resources', { body: { name: 'bad2', driver: 'mariadb', config: { host: 'h', user: 'u', password: 12345, database: SECRET.invalid } } });
    await send('POST', '/v1/resources', { body: { name: 'bad3', driver: 'volume', config: { path: '/x' }, password: SECRET.invalid } });
    await send('POST', '/v1/resources', { raw: `{"name":"bad4","config":{"password":"${SECRET.invalid}"` });
    await send('POST', '/v1/resources', { raw: `{"password":"${SECRET.invalid}"}`, contentType: 'text/plain' });
    await send('POST', '/v1/resources', { raw: `password=${SECRET.invalid}`, contentType: 'application/x-www-form-urlencoded' });
    await send('POST', '/v1/tenants', { body: { name: SECRET.invalid } });
    const failures = answers.filter((a) => a.status >= 400);
    assert.ok(failures.length >= 8, `${failures.length} failing requests`);
  });

  it('finds none of the secrets in the log output or any answer', () => {
    assert.ok(log.length > 5000, 'the log captured the requests');
    const encodedBasic = Buffer.from(`alice:${SECRET.basic}`).toString('base64');
    const all: [string, string][] = [...Object.entries(SECRET), ['encoded basic', encodedBasic], ['token', token], ['token secret', splitToken(token)!.secret]];
    for (const [name, secret] of all) {
      assert.ok(!log.includes(secret), `the ${name} secret is in the log`);
      for (const a of answers) assert.ok(!a.text.includes(secret), `the ${name} secret is in an answer: ${a.text.slice(0, 300)}`);
    }
  });
});
