/**
 * Bad input (issue 3, acceptance): 2,000 generated malformed or random
 * bodies — random JSON values, valid bodies with a field replaced by a wrong
 * type, unknown fields, huge strings, deep nesting, invalid JSON text, wrong
 * content types — across the /v1 create and update routes. Every answer is
 * below 500 and every error is `{code, message}`; the server still answers
 * /healthz afterwards. Ids are either real (of the fuzzing tenant) or
 * unknown; no job runner runs, so no backup ever starts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { call, startHarness, tenantWithTokens, type Answer, type Harness } from './admin-harness.js';

const RUNS = 2000;
const MIB = 1024 * 1024;

interface Target {
  readonly method: string;
  readonly paths: readonly string[];
  /** Bodies the route would accept, the starting points of the mutations. */
  readonly valid: readonly Record<string, unknown>[];
  readonly token: 'admin' | 'system';
}

interface Sent {
  readonly raw?: string;
  readonly contentType?: string;
}

/** Counterexamples print short: a body can be megabytes. */
function shortly(sent: Sent): Sent {
  const text = `${(sent.raw ?? '<none>').slice(0, 300)}${(sent.raw?.length ?? 0) > 300 ? `… (${sent.raw!.length} chars)` : ''} as ${sent.contentType ?? 'application/json'}`;
  return Object.assign(sent, { [fc.toStringMethod]: () => text });
}

const deep = (depth: number, open: string, close: string, leaf: string): string => open.repeat(depth) + leaf + close.repeat(depth);

/** A wrong or odd value for one field. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.integer({ min: 10_000, max: 200_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 2, max: 40 }).map((d) => JSON.parse(deep(d, '{"a":', '}', '1')) as unknown),
  fc.constantFrom(null, true, -1, 1e308, '', '/', '../../etc/passwd', 'postgres://u:p@127.0.0.1:1/x', '\u0000', [], {}),
);

/** JSON text of `valid` with `key` set to raw JSON text (which may be too deep to build as a value). */
const withRaw = (valid: Record<string, unknown>, key: string, raw: string): string =>
  JSON.stringify({ ...valid, [key]: '\u0001' }).replace('"\\u0001"', raw);

/** A body as sent: JSON text or not, with some content type. */
function bodies(valid: Record<string, unknown>): fc.Arbitrary<Sent> {
  const json = (v: unknown): Sent => ({ raw: JSON.stringify(v) });
  const keys = [...Object.keys(valid), 'unknownField', '__proto__', 'constructor'];
  return fc.oneof(
    { arbitrary: fc.jsonValue().map(json), weight: 4 },
    { arbitrary: fc.tuple(fc.constantFrom(...keys), oddValue).map(([k, v]) => json({ ...valid, [k]: v })), weight: 8 },
    { arbitrary: fc.dictionary(fc.constantFrom(...keys), oddValue, { maxKeys: 5 }).map((extra) => json({ ...valid, ...extra })), weight: 8 },
    fc.constantFrom(...keys).map((k) => json(Object.fromEntries(Object.entries(valid).filter(([key]) => key !== k)))),
    fc.tuple(fc.constantFrom(...keys), fc.integer({ min: 20, max: 50_000 }), fc.boolean())
      .map(([k, d, arr]) => ({ raw: withRaw(valid, k, arr ? deep(d, '[', ']', '') : deep(d, '{"a":', '}', '1')) })),
    fc.integer({ min: 1000, max: 50_000 }).map((d) => ({ raw: deep(d, '[', ']', '') })),
    // Over the 1 MiB body limit: rarer, each one costs a megabyte on the wire.
    { arbitrary: fc.integer({ min: MIB, max: MIB + MIB / 4 }).map((n) => ({ raw: JSON.stringify({ ...valid, name: 'n'.repeat(n) }) })), weight: 1 },
    fc.string({ maxLength: 300 }).filter((s) => !isJson(s)).map((raw) => ({ raw })),
    fc.jsonValue().map((v) => ({ raw: JSON.stringify({ ...valid, x: v }).slice(0, -1) })),
    fc.tuple(fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml',
      'application/json; charset=utf-16', 'application/octet-stream', '*/*', 'application/json-patch+json'), fc.jsonValue())
      .map(([contentType, v]) => ({ raw: JSON.stringify(v), contentType })),
    fc.constant<Sent>({}),
  );
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function assertAnswer(r: Answer, what: string): void {
  assert.ok(r.status < 500, `${what}: ${r.status} ${r.text.slice(0, 500)}`);
  if (r.status < 400) return;
  assert.match(r.contentType, /^application\/json/, what);
  assert.equal(typeof r.json?.code, 'string', `${what}: ${r.text.slice(0, 500)}`);
  assert.equal(typeof r.json?.message, 'string', what);
  assert.deepEqual(Object.keys(r.json).sort(), ['code', 'message'], what);
}

describe('bad input on the /v1 create and update routes', () => {
  let h: Harness;
  let targets: Target[];
  let tokens: { admin: string; system: string };

  before(async () => {
    h = await startHarness();
    const t = await tenantWithTokens(h, 'fuzz');
    tokens = { admin: t.admin, system: h.sysToken };
    const resource = await call(h.url, 'POST', '/v1/resources', { token: t.admin, body: { name: 'fuzzed', driver: 'volume', config: { path: '/srv/fuzz' } } });
    const backup = await call(h.url, 'POST', '/v1/backups', { token: t.admin, body: { resourceId: resource.json.id } });
    assert.equal(backup.status, 202, backup.text);
    // Each resource takes one backup request before it has a job running (CONFLICT after): spares let bodies reach the catalog.
    const spare: string[] = [];
    for (let i = 0; i < 20; i++) {
      spare.push((await call(h.url, 'POST', '/v1/resources', { token: t.admin, body: { name: `spare-${i}`, driver: 'volume', config: { path: '/srv/s' } } })).json.id);
    }
    targets = [
      { method: 'POST', paths: ['/v1/resources'], valid: [{ name: 'r', driver: 'volume', config: { path: '/srv/x' }, aliases: { ociVolumeId: 'ocid1.volume.oc1..x' } }], token: 'admin' },
      { method: 'PATCH', paths: [`/v1/resources/${resource.json.id}`, '/v1/resources/res_unknown'], valid: [{ name: 'renamed', config: { path: '/srv/y' } }], token: 'admin' },
      { method: 'POST', paths: ['/v1/backups'], valid: [...spare, 'res_unknown'].map((resourceId) => ({ resourceId, type: 'FULL', name: 'b', description: 'd', keepForever: false, tags: { a: 1 } })), token: 'admin' },
      { method: 'POST', paths: [`/v1/backups/${backup.json.id}/restore`, '/v1/backups/bak_unknown/restore'], valid: [{ target: { path: '/srv/restored' } }], token: 'admin' },
      { method: 'POST', paths: [`/v1/jobs/${backup.json.job.id}/cancel`, '/v1/jobs/job_unknown/cancel'], valid: [{}], token: 'admin' },
      { method: 'POST', paths: ['/v1/tenants'], valid: [{ name: 'fuzz-tenant', aliases: { identityDomain: ['fz'] } }], token: 'system' },
      { method: 'PATCH', paths: [`/v1/tenants/${t.id}`, '/v1/tenants/ten_unknown'], valid: [{ aliases: { otcProject: ['0123456789abcdef0123456789abcdef'] } }], token: 'system' },
      { method: 'POST', paths: ['/v1/tenants/me/credentials', '/v1/tenants/ten_unknown/credentials'], valid: [{ kind: 'password', user: 'u', password: 'p'.repeat(12), role: 'member' }], token: 'admin' },
    ];
  });
  after(async () => h?.close());

  it(`answers ${RUNS} generated bad bodies with 4xx in the error format, never 5xx`, async () => {
    const statuses = new Map<number, number>();
    const cases = fc.integer({ min: 0, max: targets.length - 1 }).chain((i) => fc.record({
      target: fc.constant(i), path: fc.nat(), sent: fc.constantFrom(...targets[i]!.valid).chain(bodies).map(shortly), idempotencyKey: fc.option(fc.string({ maxLength: 300 })),
    }));
    await fc.assert(fc.asyncProperty(cases, async ({ target, path, sent, idempotencyKey }) => {
      const t = targets[target]!;
      const url = t.paths[path % t.paths.length]!;
      const headers: Record<string, string> = idempotencyKey === null ? {} : { 'idempotency-key': encodeURIComponent(idempotencyKey) };
      const r = await call(h.url, t.method, url, { token: tokens[t.token], raw: sent.raw, contentType: sent.contentType, headers });
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      assertAnswer(r, `${t.method} ${url} with ${(sent.raw ?? '').slice(0, 200)} (${sent.contentType ?? 'json'})`);
    }), { numRuns: RUNS });
    const errors = [...statuses].filter(([s]) => s >= 400).reduce((n, [, c]) => n + c, 0);
    assert.ok(errors > RUNS * 0.8, `only ${errors} of ${RUNS} were rejected: ${JSON.stringify([...statuses])}`);
  });

  it('counts only structural nesting: brackets inside strings are fine, 33 levels are not', async () => {
    const inString = await call(h.url, 'POST', '/v1/resources', { token: tokens.admin, body: { name: `\\"${'[{'.repeat(90)}`, driver: 'volume', config: { path: '/srv/b' } } });
    assert.equal(inString.status, 201, inString.text);
    const at32 = await call(h.url, 'POST', '/v1/backups', { token: tokens.admin, raw: `{"resourceId":"res_unknown","tags":${deep(31, '{"a":', '}', '1')}}` });
    assert.equal(at32.status, 404, at32.text);
    const at33 = await call(h.url, 'POST', '/v1/backups', { token: tokens.admin, raw: `{"resourceId":"res_unknown","tags":${deep(32, '{"a":', '}', '1')}}` });
    assert.equal(at33.status, 400, at33.text);
    assert.match(at33.json.message, /nested deeper than 32/);
  });

  it('still answers /healthz and a normal request afterwards', async () => {
    const health = await call(h.url, 'GET', '/healthz');
    assert.equal(health.status, 200);
    assert.equal((await call(h.url, 'GET', '/v1/resources', { token: tokens.admin })).status, 200);
  });
});
