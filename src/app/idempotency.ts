/**
 * The native API's `Idempotency-Key` (DESIGN.md §5): within 24 hours, a key
 * sent again by the same tenant with the same request replays the first
 * answer (status and body) and creates nothing; with a different request it
 * answers IDEMPOTENCY_MISMATCH. Keys are per tenant and shared by all routes,
 * the route being part of the request, so one key cannot mean two things.
 *
 * The key is reserved before the work runs (a row with a pending body only
 * this call knows), so two concurrent requests with one key never both
 * create: the second sees the reservation and answers CONFLICT. A failed
 * request releases its reservation, so the client can retry with the key; a
 * reservation left by a crashed server expires after a few minutes.
 */
import { createHash } from 'node:crypto';
import { fail } from '../common/errors.js';
import type { IdempotencyRecord } from '../catalog/index.js';
import type { AppContext, Principal } from './context.js';

/** What a route answers: its status and a JSON-able body. */
export interface Answer {
  readonly status: number;
  readonly body: unknown;
}

export interface IdempotentRequest {
  readonly key: string;
  /** Keys of different APIs never meet (the native API's Idempotency-Key, OCI's opc-retry-token); default 'native'. */
  readonly scope?: string;
  /** How the client calls the key, for error messages; default 'Idempotency-Key'. */
  readonly keyName?: string;
  /** Everything that makes the request what it is (route, parameters, body). */
  readonly request: unknown;
}

export interface IdempotentAnswer {
  readonly status: number;
  /** The body as JSON text, byte for byte the same on a replay. */
  readonly bodyText: string;
  readonly replayed: boolean;
}

export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** A reservation older than this belongs to a request that will never finish (a crash). */
const PENDING_TTL_MS = 5 * 60 * 1000;
const NATIVE_SCOPE = 'native';
/** Status of a reservation: no answer yet. */
const PENDING = 0;

export function checkIdempotencyKey(key: string, keyName = 'Idempotency-Key'): void {
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) throw fail('INVALID_ARGUMENT', `${keyName} must be 1 to 255 visible ASCII characters`);
}

/** JSON with object keys sorted, so the same body in another key order is the same request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function requestHash(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

function ageMs(app: AppContext, record: IdempotencyRecord): number {
  return Number(app.clock.nowNs() / 1_000_000n) - Date.parse(record.createdAt);
}

function isStale(app: AppContext, record: IdempotencyRecord): boolean {
  return ageMs(app, record) >= (record.status === PENDING ? PENDING_TTL_MS : IDEMPOTENCY_WINDOW_MS);
}

/** Reserves the key for this call, or answers the record already holding it (after dropping a stale one). */
async function reserve(app: AppContext, at: { tenantId: string; scope: string; key: string }, hash: string, pending: string): Promise<IdempotencyRecord> {
  const store = app.catalog.idempotency;
  const value = { requestHash: hash, status: PENDING, body: pending };
  const record = await store.put(at.tenantId, at.scope, at.key, value);
  if (record.body === pending || !isStale(app, record)) return record;
  await store.release(at.tenantId, at.scope, at.key, record.body);
  return store.put(at.tenantId, at.scope, at.key, value);
}

function replay(record: IdempotencyRecord, hash: string, keyName: string): IdempotentAnswer {
  if (record.requestHash !== hash) throw fail('IDEMPOTENCY_MISMATCH', `this ${keyName} was used with a different request`);
  if (record.status === PENDING) throw fail('CONFLICT', `a request with this ${keyName} is still in progress`);
  return { status: record.status, bodyText: record.body, replayed: true };
}

/** Runs `work` once per (tenant, key) within the window and answers what the first run answered. */
export async function runIdempotent(app: AppContext, who: Principal, req: IdempotentRequest, work: () => Promise<Answer>): Promise<IdempotentAnswer> {
  checkIdempotencyKey(req.key, req.keyName);
  const hash = requestHash(req.request);
  const pending = `pending:${app.random.bytes(16).toString('hex')}`;
  const at = { tenantId: who.tenantId, scope: req.scope ?? NATIVE_SCOPE, key: req.key };
  const record = await reserve(app, at, hash, pending);
  if (record.body !== pending) return replay(record, hash, req.keyName ?? 'Idempotency-Key');
  let answer: Answer;
  try {
    answer = await work();
  } catch (err) {
    await app.catalog.idempotency.release(at.tenantId, at.scope, at.key, pending);
    throw err;
  }
  const bodyText = JSON.stringify(answer.body ?? null);
  await app.catalog.idempotency.complete(at.tenantId, at.scope, at.key, pending, { status: answer.status, body: bodyText });
  return { status: answer.status, bodyText, replayed: false };
}

/** Forgets keys older than the window; the server calls this now and then so the table does not grow for ever. */
export async function purgeExpiredKeys(app: AppContext): Promise<number> {
  const cutoff = new Date(Number(app.clock.nowNs() / 1_000_000n) - IDEMPOTENCY_WINDOW_MS).toISOString();
  return app.catalog.idempotency.purgeOlderThan(cutoff);
}
