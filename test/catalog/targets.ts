/**
 * The databases every catalog test runs against: SQLite in memory, SQLite in
 * a temp file, and this machine's PostgreSQL (a fresh database per run,
 * dropped afterwards). PostgreSQL is skipped with a message when unreachable,
 * unless HOLDFAST_REQUIRE_SERVICES=1.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { Clock } from '../../src/common/clock.js';
import { openCatalog, type Catalog } from '../../src/catalog/index.js';

const PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** A clock the test moves by hand. */
export interface TestClock extends Clock {
  advance(ms: number): void;
}

export function testClock(startMs = Date.UTC(2026, 0, 1)): TestClock {
  let ns = BigInt(startMs) * 1_000_000n;
  return { nowNs: () => ns, advance: (ms) => { ns += BigInt(ms) * 1_000_000n; } };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function probePostgres(): Promise<string | undefined> {
  try {
    await adminQuery('select 1');
    return undefined;
  } catch (err) {
    const reason = `PostgreSQL at 127.0.0.1:5432 unreachable (${err instanceof Error ? err.message : String(err)})`;
    if (process.env.HOLDFAST_REQUIRE_SERVICES === '1') throw err;
    console.log(`# skipping the PostgreSQL suite: ${reason}`);
    return reason;
  }
}

const pgSkip = await probePostgres();

export interface Target {
  readonly name: string;
  /** A URL for the target's database; stable for the whole describe block. */
  url(): string;
}

/**
 * A fresh PostgreSQL database for the enclosing describe block. The drop is
 * registered after the suite's own hooks, so catalogs close before it runs.
 */
function withPgTarget(suite: (target: Target) => void): void {
  const name = `holdfast_test_${randomBytes(6).toString('hex')}`;
  before(() => adminQuery(`create database ${name}`));
  suite({ name: 'postgres', url: () => `postgres://postgres@127.0.0.1:5432/${name}` });
  after(() => adminQuery(`drop database if exists ${name} with (force)`));
}

function withSqliteFileTarget(suite: (target: Target) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'holdfast-catalog-'));
  suite({ name: 'sqlite-file', url: () => `sqlite:${join(dir, 'catalog.db')}` });
  after(() => rmSync(dir, { recursive: true, force: true }));
}

/** Runs `suite` once per target, inside a describe block of its name. */
export function forEachTarget(suite: (target: Target) => void, options: { memory?: boolean } = {}): void {
  if (options.memory !== false) {
    describe('sqlite-memory', () => suite({ name: 'sqlite-memory', url: () => 'sqlite::memory:' }));
  }
  describe('sqlite-file', () => withSqliteFileTarget(suite));
  describe('postgres', { skip: pgSkip }, () => withPgTarget(suite));
}

/** Opens a catalog per test on the target and closes it afterwards. */
export function useCatalog(target: Target, clock: Clock): () => Catalog {
  let catalog: Catalog | undefined;
  before(async () => { catalog = await openCatalog(target.url(), clock); });
  after(async () => { await catalog?.close(); });
  return () => {
    assert.ok(catalog, 'catalog not open yet');
    return catalog;
  };
}
