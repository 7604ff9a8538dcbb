/**
 * PostgreSQL connection settings for the client tools: the URL goes to argv
 * without its password, the password goes to the child's PGPASSWORD only.
 */
import { fail } from '../common/errors.js';
import { optionalSecret, urlField, type Fields } from './fields.js';

export interface PgConn {
  /** postgres://user@host:port/db?… with no password in it. */
  readonly url: string;
  readonly database: string;
  readonly host: string;
  readonly port: string;
  readonly user: string;
  readonly password?: string;
}

/** Reads `field` (a postgres:// URL) and an optional separate password field. */
export function parseConn(o: Fields, field: string, passwordField: string): PgConn {
  const url = urlField(o, field, ['postgres:', 'postgresql:']);
  const password = takePassword(url) ?? optionalSecret(o, passwordField);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database.length === 0) throw fail('INVALID_ARGUMENT', `${field} must name a database (postgres://user@host:port/db)`);
  return Object.freeze({
    url: url.toString(),
    database,
    host: url.hostname,
    port: url.port || '5432',
    user: decodeURIComponent(url.username),
    password,
  });
}

/** Removes the password from the URL (userinfo or ?password=) and returns it. */
function takePassword(url: URL): string | undefined {
  const fromQuery = url.searchParams.get('password') ?? undefined;
  url.searchParams.delete('password');
  const fromUserinfo = url.password === '' ? undefined : decodeURIComponent(url.password);
  url.password = '';
  return fromUserinfo ?? fromQuery;
}

/** The child environment that carries the password, when there is one. */
export function pgEnv(conn: PgConn): Record<string, string> {
  return conn.password === undefined ? {} : { PGPASSWORD: conn.password };
}

/** A name usable as a file name in a snapshot ("my/db" → "my_db"). */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_') || 'unnamed';
}
