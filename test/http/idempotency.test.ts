/**
 * `Idempotency-Key` on the /v1 create routes over real HTTP: a replay gives
 * the first status and body byte for byte and creates nothing; another body
 * (or route) under the key answers IDEMPOTENCY_MISMATCH; keys are per tenant;
 * a failed request does not hold its key. The use case on its own, with a
 * clock the test moves: concurrent calls run the work once, the 24 h window,
 * and a reservation abandoned by a crash.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cryptoRandom } from '../../src/common/clock.js';
import { isHoldfastError } from '../../src/common/errors.js';
import { openCatalog } from '../../src/catalog/index.js';
import type { AppContext, Principal } from '../../src/app/context.js';
import { IDEMPOTENCY_WINDOW_MS, runIdempotent } from '../../src/app/idempotency.js';
import { useApiServer, type ApiFixture } from './api-fixture.js';
import { testClock } from '../catalog/targets.js';

const withKey = (key: string): Record<string, string> => ({ 'idempotency-key': key });

async function rawPost(api: ApiFixture, path: string, body: string, key: string, token = api.token): Promise<{ status: number; text: string; replayed: string | null }> {
  const res = await fetch(`${api.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...withKey(key) }, body });
  return { status: res.status, text: await res.text(), replayed: res.headers.get('idempotent-replayed') };
}

describe('Idempotency-Key over HTTP', () => {
  const fixture = useApiServer('holdfast-idem-');

  const resourceBody = (api: ApiFixture, name: string): Record<string, unknown> => {
    mkdirSync(join(api.dir, name), { recursive: true });
    writeFileSync(join(api.dir, name, 'f'), name);
    return { name, driver: 'volume', config: { path: join(api.dir, name) } };
  };
  const names = async (api: ApiFixture, token = api.token): Promise<string[]> =>
    (await api.call('GET', '/v1/resources?limit=1000', { token })).json.items.map((r: { name: string }) => r.name);

  it('replays the first answer of POST /v1/resources byte for byte and creates nothing new', async () => {
    const api = fixture();
    const body = JSON.stringify(resourceBody(api, 'one'));
    const first = await rawPost(api, '/v1/resources', body, 'key-1');
    assert.equal(first.status, 201, first.text);
    assert.equal(first.replayed, null);
    const second = await rawPost(api, '/v1/resources', body, 'key-1');
    assert.deepEqual([second.status, second.text, second.replayed], [201, first.text, 'true']);
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(body) as object).reverse()));
    assert.notEqual(reordered, body);
    assert.equal((await rawPost(api, '/v1/resources', reordered, 'key-1')).text, first.text, 'the same body in another key order');
    assert.deepEqual((await names(api)).filter((n) => n === 'one'), ['one']);
  });

  it('answers IDEMPOTENCY_MISMATCH (422) for another body or another route under the same key', async () => {
    const api = fixture();
    const first = await rawPost(api, '/v1/resources', JSON.stringify(resourceBody(api, 'two')), 'key-2');
    assert.equal(first.status, 201);
    const other = await rawPost(api, '/v1/resources', JSON.stringify(resourceBody(api, 'three')), 'key-2');
    assert.equal(other.status, 422);
    assert.equal(JSON.parse(other.text).code, 'IDEMPOTENCY_MISMATCH');
    assert.ok(!(await names(api)).includes('three'), 'nothing was created');
    const elsewhere = await rawPost(api, '/v1/backups', JSON.stringify({ resourceId: JSON.parse(first.text).id }), 'key-2');
    assert.equal(elsewhere.status, 422);
    assert.deepEqual((await api.call('GET', '/v1/backups')).json.items, []);
  });

  it('keeps keys per tenant', async () => {
    const api = fixture();
    const body = JSON.stringify(resourceBody(api, 'shared'));
    const mine = await rawPost(api, '/v1/resources', body, 'key-3');
    const other = await api.otherTenantToken('umbrella');
    const theirs = await rawPost(api, '/v1/resources', body, 'key-3', other);
    assert.equal(theirs.status, 201, theirs.text);
    assert.equal(theirs.replayed, null);
    assert.notEqual(JSON.parse(theirs.text).id, JSON.parse(mine.text).id);
    assert.deepEqual(await names(api, other), ['shared']);
  });

  it('makes one backup for a repeated POST /v1/backups, and one delete job for a repeated DELETE', async () => {
    const api = fixture();
    const res = JSON.parse((await rawPost(api, '/v1/resources', JSON.stringify(resourceBody(api, 'vol')), 'key-4')).text);
    const body = JSON.stringify({ resourceId: res.id, type: 'FULL' });
    const a = await rawPost(api, '/v1/backups', body, 'key-5');
    const b = await rawPost(api, '/v1/backups', body, 'key-5');
    assert.equal(a.status, 202, a.text);
    assert.deepEqual([b.status, b.text, b.replayed], [202, a.text, 'true']);
    const backup = JSON.parse(a.text);
    assert.deepEqual((await api.call('GET', `/v1/backups?resourceId=${res.id}`)).json.items.map((x: { id: string }) => x.id), [backup.id]);
    assert.equal((await api.waitForJob(backup.job.id)).state, 'SUCCEEDED');
    const restoreBody = JSON.stringify({ target: { path: join(api.dir, 'restored') } });
    const r1 = await rawPost(api, `/v1/backups/${backup.id}/restore`, restoreBody, 'key-6');
    const r2 = await rawPost(api, `/v1/backups/${backup.id}/restore`, restoreBody, 'key-6');
    assert.deepEqual([r1.status, r2.text], [202, r1.text]);
    assert.equal((await api.waitForJob(JSON.parse(r1.text).id)).state, 'SUCCEEDED');
    const d1 = await api.call('DELETE', `/v1/backups/${backup.id}`, { headers: withKey('key-7') });
    assert.equal(d1.status, 202);
    assert.equal((await api.waitForJob(d1.json.id)).state, 'SUCCEEDED');
    const d2 = await api.call('DELETE', `/v1/backups/${backup.id}`, { headers: withKey('key-7') });
    assert.deepEqual([d2.status, d2.json.id], [202, d1.json.id], 'a replay, not NOT_FOUND');
    assert.equal((await api.call('DELETE', `/v1/backups/${backup.id}`)).status, 404, 'without the key it is gone');
    const kinds = (await api.call('GET', `/v1/jobs?resourceId=${res.id}`)).json.items.map((j: { kind: string }) => j.kind);
    assert.deepEqual(kinds, ['delete', 'restore', 'backup']);
  });

  it('does not keep a failed request: the key stays free for a corrected retry', async () => {
    const api = fixture();
    const bad = await rawPost(api, '/v1/resources', JSON.stringify({ name: 'fixme', driver: 'floppy', config: {} }), 'key-8');
    assert.equal(bad.status, 400);
    const good = await rawPost(api, '/v1/resources', JSON.stringify(resourceBody(api, 'fixme')), 'key-8');
    assert.equal(good.status, 201, good.text);
  });

  it('rejects a key that is not 1 to 255 visible characters', async () => {
    const api = fixture();
    const res = await rawPost(api, '/v1/resources', JSON.stringify(resourceBody(api, 'long')), 'k'.repeat(256));
    assert.equal(res.status, 400);
    assert.equal(JSON.parse(res.text).code, 'INVALID_ARGUMENT');
  });
});

describe('runIdempotent', () => {
  const who: Principal = { tenantId: 't1', role: 'member', credentialId: 'c1' };
  const setup = async () => {
    const clock = testClock();
    const catalog = await openCatalog('sqlite::memory:', clock);
    return { clock, catalog, app: { catalog, clock, random: cryptoRandom } as unknown as AppContext };
  };

  it('runs the work once for concurrent calls with one key; the others replay or see CONFLICT', async () => {
    const { catalog, app } = await setup();
    try {
      let runs = 0;
      const work = async () => { runs++; await new Promise((r) => setTimeout(r, 50)); return { status: 201, body: { n: runs } }; };
      const results = await Promise.allSettled(Array.from({ length: 6 }, () => runIdempotent(app, who, { key: 'k', request: { a: 1 } }, work)));
      assert.equal(runs, 1);
      const answered = results.filter((r) => r.status === 'fulfilled');
      assert.ok(answered.length >= 1);
      for (const r of results) {
        if (r.status === 'fulfilled') assert.equal(r.value.bodyText, '{"n":1}');
        else assert.ok(isHoldfastError(r.reason, 'CONFLICT'), String(r.reason));
      }
      const later = await runIdempotent(app, who, { key: 'k', request: { a: 1 } }, work);
      assert.deepEqual([later.status, later.bodyText, later.replayed, runs], [201, '{"n":1}', true, 1]);
    } finally {
      await catalog.close();
    }
  });

  it('replays within 24 hours and runs anew after', async () => {
    const { clock, catalog, app } = await setup();
    try {
      let runs = 0;
      const work = async () => ({ status: 202, body: { run: ++runs } });
      await runIdempotent(app, who, { key: 'day', request: 'x' }, work);
      clock.advance(IDEMPOTENCY_WINDOW_MS - 1);
      assert.equal((await runIdempotent(app, who, { key: 'day', request: 'x' }, work)).bodyText, '{"run":1}');
      clock.advance(1);
      const fresh = await runIdempotent(app, who, { key: 'day', request: 'y' }, work);
      assert.deepEqual([fresh.bodyText, fresh.replayed], ['{"run":2}', false], 'an expired key is free, even for another request');
    } finally {
      await catalog.close();
    }
  });

  it('takes over a reservation a crashed request left behind, after five minutes', async () => {
    const { clock, catalog, app } = await setup();
    try {
      await catalog.idempotency.put('t1', 'native', 'crash', { requestHash: 'whatever', status: 0, body: 'pending:dead' });
      const work = async () => ({ status: 201, body: 'done' });
      await assert.rejects(runIdempotent(app, who, { key: 'crash', request: 1 }, work), (e: unknown) => isHoldfastError(e, 'IDEMPOTENCY_MISMATCH'));
      clock.advance(5 * 60 * 1000);
      assert.equal((await runIdempotent(app, who, { key: 'crash', request: 1 }, work)).bodyText, '"done"');
    } finally {
      await catalog.close();
    }
  });
});
