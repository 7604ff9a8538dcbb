/**
 * The postgres driver against the local PostgreSQL (127.0.0.1:5432, trust):
 * logical round trip in a fresh database, compared by plain pg_dump; restore
 * into another database; physical backups need a replication entry in pg_hba.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHoldfastError } from '../../src/common/errors.js';
import { postgresDriver } from '../../src/source/postgres.js';
import { collectStream, consume, fakeSource, sourceConformance } from './conformance.js';
import { serviceSkip, sh, uniqueName } from './helpers.js';

const skip = await serviceSkip('PostgreSQL', 5432);
const base = 'postgres://postgres@127.0.0.1:5432';

const psql = (db: string, sql: string): Promise<string> => sh('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', `${base}/${db}`, '-c', sql]);

/** Plain dump without the per-run \restrict key newer pg_dump versions print. */
async function plainDump(db: string): Promise<string> {
  const text = await sh('pg_dump', ['--format=plain', '--no-owner', `--dbname=${base}/${db}`]);
  return text.split('\n').filter((l) => !/^\\(un)?restrict /.test(l)).join('\n');
}

const SCHEMA = `
  CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, payload text);
  INSERT INTO items (name, payload) SELECT 'item ' || i, md5(i::text) || md5((i * 7)::text) FROM generate_series(1, 30000) i;
  CREATE INDEX items_name ON items (name);
  CREATE VIEW short_items AS SELECT id, name FROM items WHERE id < 100;
  CREATE FUNCTION double_it(x int) RETURNS int LANGUAGE sql AS 'SELECT x * 2';
  CREATE TABLE "Odd Name" (k text PRIMARY KEY, v jsonb);
  INSERT INTO "Odd Name" VALUES ('a', '{"x": [1, 2]}'), ('b', 'null');`;

async function createDb(): Promise<string> {
  const db = uniqueName('holdfast_src');
  await psql('postgres', `CREATE DATABASE ${db}`);
  return db;
}

const dropDb = (db: string): Promise<string> => psql('postgres', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);

sourceConformance('postgres (logical)', postgresDriver, async () => {
  const db = await createDb();
  await psql(db, SCHEMA);
  const secret = 'Pg-secret-9f8e7d';
  return {
    config: { url: `${base}/${db}` },
    target: {},
    fingerprint: () => plainDump(db),
    damage: () => psql(db, 'DROP TABLE items CASCADE; DELETE FROM "Odd Name" WHERE k = \'a\'; DROP FUNCTION double_it').then(() => {}),
    failing: { config: { url: `postgres://postgres:${secret}@127.0.0.1:5432/${db}_missing` }, secret },
    abortKills: true,
    cleanup: () => dropDb(db).then(() => {}),
  };
}, skip);

describe('postgres driver', { skip }, () => {
  it('restores into another, existing database given by the target url', async () => {
    const [src, dst] = [await createDb(), await createDb()];
    try {
      await psql(src, SCHEMA);
      const config = postgresDriver.parseConfig({ url: `${base}/${src}`, password: 'unused-with-trust' });
      const session = await postgresDriver.openBackup(config, { scratchDir: '/tmp', env: process.env });
      assert.equal(session.input.kind === 'stream' && session.input.filename, `${src}.pgdump`);
      const collected = await consume(session.input, '/nonexistent');
      await session.finish();
      const target = postgresDriver.parseTarget({ url: `${base}/${dst}`, clean: false }, config);
      await postgresDriver.restore(config, target, fakeSource(collected), { scratchDir: '/tmp', env: process.env });
      assert.equal(await plainDump(dst), await plainDump(src));
    } finally {
      await dropDb(src);
      await dropDb(dst);
    }
  });

  it('creates the target database when it is missing (a restore after the database was dropped)', async () => {
    const src = await createDb();
    const dst = uniqueName('holdfast_new');
    try {
      await psql(src, SCHEMA);
      const config = postgresDriver.parseConfig({ url: `${base}/${src}` });
      const session = await postgresDriver.openBackup(config, { scratchDir: '/tmp', env: process.env });
      const collected = await consume(session.input, '/nonexistent');
      await session.finish();
      const target = postgresDriver.parseTarget({ url: `${base}/${dst}` }, config);
      await postgresDriver.restore(config, target, fakeSource(collected), { scratchDir: '/tmp', env: process.env });
      assert.equal(await plainDump(dst), await plainDump(src));
    } finally {
      await dropDb(src);
      await dropDb(dst);
    }
  });

  it('keeps the password out of argv: the URL handed to the tools has none', () => {
    const config = postgresDriver.parseConfig({ url: 'postgres://u:p%40ss@h:5433/db?password=q&sslmode=disable' });
    assert.equal(config.conn.password, 'p@ss');
    assert.equal(config.conn.url, 'postgres://u@h:5433/db?sslmode=disable');
    assert.equal(postgresDriver.parseConfig({ url: 'postgres://u@h/db', password: 'x' }).conn.password, 'x');
  });

  it('rejects bad configs and targets naming the field', () => {
    const bad = (raw: unknown, field: string): void =>
      assert.throws(() => postgresDriver.parseConfig(raw), (e: unknown) => isHoldfastError(e, 'INVALID_ARGUMENT') && e.message.includes(field));
    bad({ url: 'mysql://h/db' }, 'url');
    bad({ url: 'postgres://h' }, 'url');
    bad({ url: 'postgres://h/db', mode: 'snapshot' }, 'mode');
    const physical = postgresDriver.parseConfig({ url: 'postgres://h/db', mode: 'physical' });
    assert.throws(() => postgresDriver.parseTarget({ dataDir: 'relative' }, physical), (e: unknown) => isHoldfastError(e, 'INVALID_ARGUMENT'));
  });

  it('physical: pg_basebackup streams a tar, or fails as SOURCE_UNREADABLE when replication is not allowed', async () => {
    const config = postgresDriver.parseConfig({ url: `${base}/postgres`, mode: 'physical' });
    const session = await postgresDriver.openBackup(config, { scratchDir: '/tmp', env: process.env });
    assert.equal(session.input.kind === 'stream' && session.input.filename, '127.0.0.1-5432.tar');
    const bytes = session.input.kind === 'stream' ? await collectStream(session.input.stream) : Buffer.alloc(0);
    const outcome = await session.finish().then(() => 'ok', (e: unknown) => e);
    if (outcome === 'ok') {
      assert.equal(bytes.subarray(257, 262).toString(), 'ustar');
    } else {
      assert.ok(isHoldfastError(outcome, 'SOURCE_UNREADABLE'));
      assert.match(outcome.message, /replication/);
    }
  });
});
