/**
 * Keyset pagination shared by every list: rows ordered by a tuple of text
 * columns that ends in a unique one (the id), one extra row fetched to know
 * whether a next page exists, and the cursor made of the last row's key. A
 * keyset, unlike an offset, neither skips nor repeats rows when others are
 * inserted between two page requests.
 */
import { sql, type ExpressionBuilder, type Expression, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { decodeCursor, fetchSize, toPage } from './codec.js';
import type { Page, PageRequest } from './types.js';

export interface Keyset<O> {
  /** The sort columns, most significant first; the last must be unique (the id). All hold text. */
  readonly columns: readonly (keyof O & string)[];
  readonly order: 'asc' | 'desc';
}

/** Rows strictly after `key` in the keyset's order: c0 ≷ k0 OR (c0 = k0 AND the rest after the rest). */
function afterKey<DB, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>, columns: readonly string[], key: readonly string[], op: '<' | '>'): Expression<SqlBool> {
  const [column, ...moreColumns] = columns;
  const [value, ...moreValues] = key;
  const strictly = eb(sql.ref(column!), op, value!);
  if (moreColumns.length === 0) return strictly;
  return eb.or([strictly, eb.and([eb(sql.ref(column!), '=', value!), afterKey(eb, moreColumns, moreValues, op)])]);
}

/** Runs `query` (already filtered) for one page in the keyset's order, after the page's cursor. */
export async function keysetPage<DB, TB extends keyof DB, O, T>(
  query: SelectQueryBuilder<DB, TB, O>, keyset: Keyset<O>, page: PageRequest, map: (row: O) => T,
): Promise<Page<T>> {
  const { columns, order } = keyset;
  const key = page.after === undefined ? undefined : decodeCursor(page.after, columns.length);
  let q = key === undefined ? query : query.where((eb) => afterKey(eb, columns, key, order === 'desc' ? '<' : '>'));
  for (const column of columns) q = q.orderBy(sql.ref(column), order);
  const rows = await q.limit(fetchSize(page.limit)).execute();
  return toPage(rows as O[], page.limit, map, (row) => columns.map((c) => String(row[c])));
}
