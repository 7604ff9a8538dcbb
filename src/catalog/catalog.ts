/**
 * Opens the catalog: picks the dialect from the URL ('sqlite:<path>',
 * 'sqlite::memory:', 'postgres://…' or 'postgresql://…'), brings the schema to
 * the latest migration and wires the stores over one Kysely handle.
 */
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type Dialect as KyselyDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { Clock } from '../common/clock.js';
import { fail } from '../common/errors.js';
import { createBackupStore } from './backups.js';
import type { StoreContext } from './context.js';
import { createCredentialStore } from './credentials.js';
import { createDeclaredStore } from './declared.js';
import { createIdempotencyStore } from './idempotency.js';
import { createJobStore } from './jobs.js';
import { migrateToLatest } from './migrations/index.js';
import { createPolicyStore } from './policies.js';
import { createRepositoryStore } from './repositories.js';
import { createResourceStore } from './resources.js';
import type { Database } from './schema.js';
import { createTenantStore } from './tenants.js';
import type { Catalog, CatalogStores, Dialect } from './types.js';

export type * from './types.js';

/** How long a SQLite writer waits for another connection's lock before SQLITE_BUSY. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;

function sqliteDialect(path: string): KyselyDialect {
  const database = new SqliteDatabase(path);
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  if (path !== ':memory:') database.pragma('journal_mode = WAL');
  return new SqliteDialect({ database });
}

function postgresDialect(url: string): KyselyDialect {
  const pool = new pg.Pool({ connectionString: url });
  // An idle connection the server dropped (restart, failover) is replaced on next use; unhandled, its error would end the process.
  pool.on('error', () => undefined);
  return new PostgresDialect({ pool });
}

/** Parses a catalog URL into its dialect name and Kysely dialect. */
export function dialectFor(url: string): { dialect: Dialect; kysely: KyselyDialect } {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { dialect: 'postgres', kysely: postgresDialect(url) };
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw fail('INVALID_ARGUMENT', 'the sqlite catalog URL names no file');
    return { dialect: 'sqlite', kysely: sqliteDialect(path) };
  }
  throw fail('INVALID_ARGUMENT', `unsupported catalog URL scheme: ${url.split(':')[0] ?? ''}`);
}

/**
 * A transaction that stores can use as their Kysely handle: the stores open
 * their own small transactions with db.transaction(), which Kysely refuses
 * inside one, so here that call joins the enclosing transaction instead.
 */
function joinable(trx: Transaction<Database>): Kysely<Database> {
  const joined: Kysely<Database> = new Proxy(trx, {
    get(target, prop) {
      if (prop === 'transaction') return () => ({ execute: <T>(fn: (t: Kysely<Database>) => Promise<T>) => fn(joined) });
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return joined;
}

function stores(ctx: StoreContext, transaction: CatalogStores['transaction']): CatalogStores {
  return Object.freeze({
    dialect: ctx.dialect,
    tenants: createTenantStore(ctx),
    credentials: createCredentialStore(ctx),
    resources: createResourceStore(ctx),
    backups: createBackupStore(ctx),
    jobs: createJobStore(ctx),
    repositories: createRepositoryStore(ctx),
    idempotency: createIdempotencyStore(ctx),
    ping: async () => { await sql`select 1`.execute(ctx.db); },
    policies: createPolicyStore(ctx),
    declared: createDeclaredStore(ctx),
    transaction,
  });
}

function wire(ctx: StoreContext): Catalog {
  const transaction: CatalogStores['transaction'] = (work) => ctx.db.transaction().execute((trx) => {
    const inner: CatalogStores = stores({ ...ctx, db: joinable(trx) }, (nested) => nested(inner));
    return work(inner);
  });
  return Object.freeze({ ...stores(ctx, transaction), close: () => ctx.db.destroy() });
}

/** Opens (and migrates) the catalog at `url`; the caller closes it. */
export async function openCatalog(url: string, clock: Clock): Promise<Catalog> {
  const { dialect, kysely } = dialectFor(url);
  const db = new Kysely<Database>({ dialect: kysely });
  try {
    await migrateToLatest(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return wire({ db, clock, dialect });
}
