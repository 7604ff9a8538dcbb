/**
 * Paging of every OCI list: items sorted by one field then by id (a total
 * order), `opc-next-page` naming where the last page ended (the order, that
 * item's sort key and its id). The next page starts after that place, so an
 * item added or removed between pages neither hides nor repeats another.
 */
import { fail } from '../../../common/errors.js';

export type Model = Record<string, unknown>;

export interface Order {
  readonly field: string;
  readonly desc: boolean;
}

export interface SortQuery {
  readonly sortBy?: 'TIMECREATED' | 'DISPLAYNAME';
  readonly sortOrder?: 'ASC' | 'DESC';
}

/** OCI's defaults: TIMECREATED newest first, DISPLAYNAME A first (case sensitive). */
export function orderOf(q: SortQuery): Order {
  const field = q.sortBy === 'DISPLAYNAME' ? 'displayName' : 'timeCreated';
  return { field, desc: q.sortOrder === undefined ? field === 'timeCreated' : q.sortOrder === 'DESC' };
}

function invalid(message: string): never {
  throw fail('INVALID_ARGUMENT', message, { data: { ociCode: 'InvalidParameter' } });
}

function placeOf(m: Model, order: Order): [string, string] {
  return [String(m[order.field]), String(m['id'])];
}

function compareAt(a: [string, string], b: [string, string], order: Order): number {
  const byKey = a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
  return order.desc ? -byKey : byKey;
}

function orderName(order: Order): string {
  return `${order.field}:${order.desc ? 'desc' : 'asc'}`;
}

function decode(page: string, order: Order): [string, string] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(page, 'base64url').toString('utf8'));
  } catch {
    invalid('The page token is not valid.');
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || !parsed.every((p) => typeof p === 'string')) invalid('The page token is not valid.');
  if (parsed[0] !== orderName(order)) invalid('The page token belongs to a listing in another order.');
  return [parsed[1] as string, parsed[2] as string];
}

/** One page of `models` (already filtered) in `order`, after the place `page` names. */
export function pageOf(models: readonly Model[], order: Order, limit: number, page: string | undefined): { items: Model[]; next?: string } {
  const after = page === undefined ? undefined : decode(page, order);
  const sorted = [...models].sort((a, b) => compareAt(placeOf(a, order), placeOf(b, order), order));
  const rest = after === undefined ? sorted : sorted.filter((m) => compareAt(placeOf(m, order), after, order) > 0);
  const items = rest.slice(0, limit);
  const last = items[items.length - 1];
  if (rest.length <= limit || last === undefined) return { items };
  return { items, next: Buffer.from(JSON.stringify([orderName(order), ...placeOf(last, order)]), 'utf8').toString('base64url') };
}
