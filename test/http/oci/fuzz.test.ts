/**
 * Bad input on the OCI dialect (issue 4, acceptance): 2,000 generated
 * malformed bodies and query strings against CreateVolumeBackup,
 * ListVolumeBackups and UpdateVolumeBackup, each properly signed (so it gets
 * past authentication to validation and the routes). Bodies: non-JSON,
 * truncated JSON, top-level arrays/null/scalars, wrong types, bad enums, huge
 * strings, deep nesting, duplicate keys, prototype keys, invalid UTF-8 and
 * lone surrogates, other content types. Queries: missing or foreign
 * compartments, bad limit/page/sortBy/sortOrder/lifecycleState, duplicate and
 * unknown keys, broken percent-escapes. Ids: real, unknown, of another kind,
 * garbage. Every error is 4xx with OCI's `{code, message}` (a code OCI uses
 * for that status) and an opc-request-id header; nothing is ever a 5xx.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { useApiServer } from '../api-fixture.js';
import { send, signedCall, signedHeaders, type RawAnswer, type SignOptions } from './hand-signer.js';
import { COMPARTMENT, enableOci, fileVolume, newKey, TENANCY, USER } from './oci-fixture.js';

const P = '/20160918';
const RUNS = { create: 700, list: 700, update: 600 };
const MIB = 1024 * 1024;

/** OCI's error codes by status (oci.md §1.7). */
const OCI_CODES: Readonly<Record<number, readonly string[]>> = {
  400: ['CannotParseRequest', 'InvalidParameter', 'LimitExceeded', 'MissingParameter', 'QuotaExceeded', 'RelatedResourceNotAuthorizedOrNotFound'],
  401: ['NotAuthenticated'],
  404: ['NotAuthorizedOrNotFound', 'NotFound', 'InvalidParameter'],
  405: ['MethodNotAllowed'],
  409: ['Conflict', 'IncorrectState', 'InvalidatedRetryToken', 'NotAuthorizedOrResourceAlreadyExists'],
  412: ['NoEtagMatch'],
  413: ['PayloadTooLarge'],
  422: ['UnprocessableEntity'],
  431: ['RequestHeaderFieldsTooLarge'],
};

interface Sent {
  readonly raw: Buffer;
  /** null: no content-type header at all. */
  readonly contentType?: string | null;
}

const deep = (depth: number, open: string, close: string, leaf: string): string => open.repeat(depth) + leaf + close.repeat(depth);

function printable<T extends object>(value: T, text: string): T {
  return Object.assign(value, { [fc.toStringMethod]: () => text });
}

function describeSent(s: Sent): string {
  const t = s.raw.toString('utf8');
  return `${t.slice(0, 300)}${t.length > 300 ? `… (${s.raw.length} bytes)` : ''} as ${s.contentType === null ? '<no content-type>' : JSON.stringify(s.contentType ?? 'application/json')}`;
}

/** A wrong or odd value for one field. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.integer({ min: 256, max: 200_000 }).map((n) => 'x'.repeat(n)),
  fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 80 }),
  fc.constantFrom(null, true, -1, 0, 1.5, 1e308, '', ' ', 'FULL', 'full', 'DIFFERENTIAL', 'INCREMENTAL ', '\u0000', '\ud800', '\u202e', '🦀'.repeat(300),
    ['FULL'], [], {}, { a: { b: { c: 1 } } }, 'ocid1.volume.oc1..ffffffffff', 'ocid1.volume.oc1..x00', '../../etc/passwd'),
);

const text = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
/** JSON text of `valid` with `key` set to raw JSON text (which may be too deep or too odd to build as a value). */
const withRaw = (valid: Record<string, unknown>, key: string, raw: string): Buffer =>
  Buffer.from(JSON.stringify({ ...valid, [key]: '\u0001' }).replace('"\\u0001"', raw));

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

/** A body as sent: JSON text or not, with some content type. */
function bodies(valid: Record<string, unknown>): fc.Arbitrary<Sent> {
  const keys = [...Object.keys(valid), 'volumeId', 'displayName', 'type', 'freeformTags', 'definedTags', 'kmsKeyId', 'unknownField', '__proto__', 'constructor'];
  const key = fc.constantFrom(...keys);
  const json = (v: unknown): Sent => ({ raw: text(v) });
  return fc.oneof(
    { arbitrary: fc.jsonValue().map(json), weight: 3 },
    { arbitrary: fc.tuple(key, oddValue).map(([k, v]) => json({ ...valid, [k]: v })), weight: 8 },
    { arbitrary: fc.dictionary(key, oddValue, { maxKeys: 5 }).map((extra) => json({ ...valid, ...extra })), weight: 6 },
    { arbitrary: fc.tuple(fc.constantFrom('freeformTags', 'definedTags'), fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 40 }), oddValue, { maxKeys: 70 }))
      .map(([k, v]) => json({ ...valid, [k]: v })), weight: 3 },
    key.map((k) => json(Object.fromEntries(Object.entries(valid).filter(([name]) => name !== k)))),
    fc.tuple(key, fc.integer({ min: 20, max: 20_000 }), fc.boolean()).map(([k, d, arr]) => ({ raw: withRaw(valid, k, arr ? deep(d, '[', ']', '') : deep(d, '{"a":', '}', '1')) })),
    fc.integer({ min: 100, max: 50_000 }).map((d) => ({ raw: Buffer.from(deep(d, '[', ']', '')) })),
    // Duplicate keys: JSON.parse keeps the last, which may be the bad one.
    fc.tuple(key, oddValue).map(([k, v]) => ({ raw: Buffer.from(`${JSON.stringify(valid).slice(0, -1)},${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}}`) })),
    fc.tuple(key, fc.constantFrom('"\\ud800"', '"\\udfff\\ud800"', '"\\u0000"', '"\\uFEFF"', '1e999999', '-0', '0.0000000000000000000001', '123456789012345678901234567890'))
      .map(([k, raw]) => ({ raw: withRaw(valid, k, raw) })),
    // Bytes that are not UTF-8, a BOM, a NUL.
    fc.tuple(fc.constantFrom(Buffer.from([0xff, 0xfe]), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from([0xc3]), Buffer.from([0]), Buffer.from([0xed, 0xa0, 0x80])), fc.boolean())
      .map(([bytes, front]) => ({ raw: front ? Buffer.concat([bytes, text(valid)]) : withRaw(valid, 'displayName', `"a${bytes.toString('latin1')}b"`) })),
    // Over the 1 MiB body limit: rare, each costs a megabyte on the wire.
    { arbitrary: fc.integer({ min: MIB, max: MIB + MIB / 4 }).map((n) => json({ ...valid, displayName: 'n'.repeat(n) })), weight: 1 },
    fc.string({ maxLength: 300 }).filter((s) => !isJson(s)).map((s) => ({ raw: Buffer.from(s) })),
    fc.jsonValue().map((v) => ({ raw: Buffer.from(JSON.stringify({ ...valid, x: v }).slice(0, -1)) })),
    fc.tuple(fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml',
      'application/json; charset=utf-16', 'application/octet-stream', '*/*', 'application/jsonx', 'APPLICATION/JSON', ''), fc.jsonValue())
      .map(([contentType, v]) => ({ raw: text(v), contentType })),
    fc.constant<Sent>({ raw: Buffer.alloc(0) }),
    fc.constant<Sent>({ raw: text(valid), contentType: null }),
  ).map((s) => printable(s, describeSent(s)));
}

/** A path segment: real or unknown OCIDs, another kind's, garbage (percent-encoded or raw, broken escapes included). */
function ids(real: readonly string[]): fc.Arbitrary<string> {
  const hex = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 1, maxLength: 70 });
  return fc.oneof(
    { arbitrary: fc.constantFrom(...real), weight: 4 },
    hex.map((h) => `ocid1.volumebackup.oc1..${h}`),
    hex.map((h) => `ocid1.volume.oc1..${h}`),
    fc.string({ unit: 'grapheme', maxLength: 300 }).map(encodeURIComponent),
    fc.integer({ min: 256, max: 8000 }).map((n) => 'a'.repeat(n)),
    fc.constantFrom('%', '%zz', '%E0%A4%A', '%00', '%2F', '..', '%2e%2e', 'ocid1%2Evolumebackup%2Eoc1%2E%2Eab', `ocid1.volumebackup.oc1..x${Buffer.from('bak_../../x').toString('hex')}`),
  );
}

const QUERY_KEYS = ['compartmentId', 'volumeId', 'displayName', 'sourceVolumeBackupId', 'lifecycleState', 'limit', 'page', 'sortBy', 'sortOrder'];

/** One query value: what a client might get wrong. */
function queryValue(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(TENANCY, COMPARTMENT, 'ocid1.compartment.oc1..other', '', ' '),
    fc.constantFrom('0', '-1', '1', '1000', '1001', '1.5', '1e3', 'abc', '99999999999999999999', ' 5', '0x10', 'NaN', 'Infinity'),
    fc.constantFrom('TIMECREATED', 'DISPLAYNAME', 'timecreated', 'NAME', 'ASC', 'DESC', 'asc', 'available', 'AVAILABLE', 'TERMINATED', 'BOGUS'),
    fc.constantFrom('cA', 'cDEwMA', 'cC0x', 'cDk5OTk5OTk5OTk5', Buffer.from('p9').toString('base64url'), '!!!', 'p'.repeat(300)),
    fc.string({ unit: 'grapheme', maxLength: 100 }),
    fc.integer({ min: 300, max: 6000 }).map((n) => 'z'.repeat(n)),
  );
}

/** A raw query string: mostly encoded, sometimes with broken escapes, duplicated or unknown keys, or no value. */
function queries(): fc.Arbitrary<string> {
  const pair = fc.tuple(fc.oneof({ arbitrary: fc.constantFrom(...QUERY_KEYS), weight: 6 }, fc.string({ maxLength: 20 }), fc.constantFrom('__proto__', 'constructor', 'limit[]', 'page[x]')),
    queryValue(), fc.constantFrom('encoded', 'encoded', 'encoded', 'bare', 'broken'))
    .map(([k, v, how]) => (how === 'bare' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${how === 'broken' ? `${encodeURIComponent(v)}%${v.length % 2 === 0 ? 'g' : ''}` : encodeURIComponent(v)}`));
  const base = fc.constantFrom(`compartmentId=${encodeURIComponent(TENANCY)}`, `compartmentId=${encodeURIComponent(COMPARTMENT)}`, '');
  return fc.tuple(base, fc.array(pair, { maxLength: 8 }), fc.constantFrom('&', '&&', ';'))
    // Over 16 KiB the request head is refused by Node itself (431); past 64 KiB it arrives in pieces and is merely reset.
    .map(([b, pairs, sep]) => [b, ...pairs].filter((p) => p !== '').join(sep).slice(0, 40_000));
}

function assertOciAnswer(r: RawAnswer, what: string): void {
  assert.ok(r.status < 500, `${what}: ${r.status} ${r.text.slice(0, 500)}`);
  assert.ok(typeof r.headers['opc-request-id'] === 'string' && r.headers['opc-request-id'] !== '', `${what}: no opc-request-id`);
  if (r.status < 400) return;
  assert.match(String(r.headers['content-type']), /^application\/json/, what);
  assert.deepEqual(Object.keys(r.json ?? {}).sort(), ['code', 'message'], `${what}: ${r.text.slice(0, 500)}`);
  assert.equal(typeof r.json.message, 'string', what);
  assert.ok((OCI_CODES[r.status] ?? []).includes(r.json.code), `${what}: ${r.status} ${r.json.code} is not one of OCI's codes for the status`);
}

describe('bad input on the OCI create, list and update routes', () => {
  const api = useApiServer('holdfast-oci-fuzz-');
  const key = newKey();
  let url = '';
  const volumes: string[] = [];
  let backups: string[] = [];
  let nonce = 0;
  const statuses = new Map<string, number>();
  /** Signs over everything OCI requires, plus a unique opc-request-id so that each request is told apart in logs. */
  const as = (): SignOptions => {
    const id = `fuzz-${++nonce}`;
    return { key: key.privateKey, keyId: `${TENANCY}/${USER}/${key.fingerprint}`, extra: { 'opc-request-id': id } };
  };
  const signAll = (body: boolean): string[] => [...(body ? ['date', '(request-target)', 'host', 'content-length', 'content-type', 'x-content-sha256'] : ['date', '(request-target)', 'host']), 'opc-request-id'];

  async function fire(method: string, path: string, sent: Sent | undefined, extra: Record<string, string> = {}): Promise<RawAnswer> {
    const opts = as();
    const names = signAll(sent !== undefined).filter((n) => n !== 'content-type' || sent?.contentType !== null);
    const headers = signedHeaders(url, method, path, sent?.raw, { ...opts, sign: names, extra: { ...opts.extra, ...extra }, ...(typeof sent?.contentType === 'string' ? { contentType: sent.contentType } : {}) });
    if (sent?.contentType === null) delete headers['content-type'];
    const r = await send(url, method, path, headers, sent?.raw);
    const k = `${method} ${r.status} ${r.json?.code ?? ''}`;
    statuses.set(k, (statuses.get(k) ?? 0) + 1);
    return r;
  }

  before(async () => {
    await enableOci(api(), key);
    url = api().url;
    for (let i = 0; i < 3; i++) volumes.push((await fileVolume(api(), `fuzz${i}`, Buffer.alloc(4096, i))).ocid);
    const made = await signedCall(url, 'POST', `${P}/volumeBackups`, JSON.stringify({ volumeId: volumes[0] }), { key: key.privateKey, keyId: `${TENANCY}/${USER}/${key.fingerprint}` });
    assert.equal(made.status, 200, made.text);
    backups = [made.json.id];
  });

  it(`answers ${RUNS.create} bad CreateVolumeBackup bodies with OCI errors, never 5xx`, async () => {
    const valid = [...volumes, 'ocid1.volume.oc1..0123456789abcdef'].map((volumeId) => ({ volumeId, displayName: 'fz', type: 'FULL', freeformTags: { a: 'b' }, definedTags: { ns: { k: 'v' } }, kmsKeyId: 'ocid1.key.oc1..k' }));
    const cases = fc.record({ sent: fc.constantFrom(...valid).chain(bodies), token: fc.option(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 80 }).map(encodeURIComponent)) });
    await fc.assert(fc.asyncProperty(cases, async ({ sent, token }) => {
      const r = await fire('POST', `${P}/volumeBackups`, sent, token === null ? {} : { 'opc-retry-token': token });
      assertOciAnswer(r, `POST /volumeBackups with ${describeSent(sent)}`);
    }), { numRuns: RUNS.create, includeErrorInReport: true });
  });

  it(`answers ${RUNS.list} bad ListVolumeBackups queries with OCI errors, never 5xx`, async () => {
    await fc.assert(fc.asyncProperty(queries().map((q) => printable({ q }, q.slice(0, 300))), async ({ q }) => {
      const r = await fire('GET', `${P}/volumeBackups${q === '' ? '' : `?${q}`}`, undefined);
      assertOciAnswer(r, `GET /volumeBackups?${q.slice(0, 300)}`);
      if (r.status === 200) assert.ok(Array.isArray(r.json), q);
    }), { numRuns: RUNS.list, includeErrorInReport: true });
  });

  it(`answers ${RUNS.update} bad UpdateVolumeBackup ids and bodies with OCI errors, never 5xx`, async () => {
    const valid = [{ displayName: 'renamed', freeformTags: { t: 'v' }, definedTags: { ns: { k: 1 } }, kmsKeyId: 'ocid1.key.oc1..k2' }, {}];
    const cases = fc.record({ id: ids(backups), sent: fc.constantFrom(...valid).chain(bodies), ifMatch: fc.option(fc.constantFrom('*', 'W/"x"', '"stale"', '')) });
    await fc.assert(fc.asyncProperty(cases, async ({ id, sent, ifMatch }) => {
      const r = await fire('PUT', `${P}/volumeBackups/${id}`, sent, ifMatch === null ? {} : { 'if-match': ifMatch });
      assertOciAnswer(r, `PUT /volumeBackups/${id.slice(0, 100)} with ${describeSent(sent)}`);
    }), { numRuns: RUNS.update, includeErrorInReport: true });
  });

  it('answers in OCI\'s format what fails before any route: broken escapes, over-long ids, a 20 KiB request line', async () => {
    const cases: [string, string, number, string][] = [
      ['PUT', `${P}/volumeBackups/%E0%A4%A`, 400, 'InvalidParameter'],
      ['PUT', `${P}/volumeBackups/${'a'.repeat(300)}`, 400, 'InvalidParameter'],
      ['GET', `${P}/volumeBackups?compartmentId=${TENANCY}&displayName=${'z'.repeat(20_000)}`, 431, 'RequestHeaderFieldsTooLarge'],
    ];
    for (const [method, path, status, code] of cases) {
      const r = await fire(method, path, method === 'GET' ? undefined : { raw: Buffer.from('{}') });
      assertOciAnswer(r, `${method} ${path.slice(0, 80)}`);
      assert.equal(r.status, status, r.text);
      assert.equal(r.json.code, code);
    }
  });

  it('rejected most of them, and still answers a well-formed request afterwards', async () => {
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    const errors = [...statuses].filter(([k]) => /^\w+ 4/.test(k)).reduce((n, [, c]) => n + c, 0);
    assert.ok(total >= RUNS.create + RUNS.list + RUNS.update, `${total}`);
    assert.ok(errors > total * 0.7, `only ${errors} of ${total} were rejected: ${JSON.stringify([...statuses].sort())}`);
    const r = await signedCall(url, 'GET', `${P}/volumeBackups/${backups[0]}`, undefined, as());
    assert.equal(r.status, 200, r.text);
    console.log(`statuses: ${JSON.stringify([...statuses].sort())}`);
  });
});
