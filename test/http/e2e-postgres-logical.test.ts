/**
 * PostgreSQL logical backups end to end through /v1 on the local server
 * (127.0.0.1:5432, trust): a uniquely named database with several column
 * types, constraints, a view, a function and a few thousand rows is backed up,
 * changed, then dropped; the restore (which recreates it) must give a plain
 * pg_dump identical to the one taken before the backup. The stock `restic
 * restore` of the backup's snapshot must give the same dump file bytes as
 * holdfast reads back from its repository, and that file must hold the data.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { dumpFile } from '../../src/engine/restore/dump.js';
import { localBackend } from '../../src/backend/local.js';
import { openRepository } from '../../src/repository/open.js';
import { createRepository } from '../../src/repository/repository.js';
import { repoEnvironment } from '../../src/main/environment.js';
import { serviceSkip, sh, uniqueName } from '../source/helpers.js';
import { checkRepositories, restic, startE2E, type E2E } from './e2e-helpers.js';

const skip = await serviceSkip('PostgreSQL', 5432);
const base = 'postgres://postgres@127.0.0.1:5432';

const psql = (db: string, sql: string): Promise<string> => sh('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', `${base}/${db}`, '-c', sql]);

/** Plain dump without the per-run \restrict key that newer pg_dump versions print. */
function withoutRestrict(text: string): string {
  return text.split('\n').filter((l) => !/^\\(un)?restrict /.test(l)).join('\n');
}

const plainDump = async (db: string): Promise<string> => withoutRestrict(await sh('pg_dump', ['--format=plain', '--no-owner', `--dbname=${base}/${db}`]));

const SCHEMA = `
  CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
  CREATE TABLE customers (
    id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, balance numeric(12, 2), active boolean DEFAULT true,
    joined timestamptz, birthday date, feeling mood, tags text[], profile jsonb, avatar bytea, ref uuid, wait interval, score double precision);
  INSERT INTO customers (name, balance, active, joined, birthday, feeling, tags, profile, avatar, ref, wait, score)
    SELECT 'customer ' || i || ' «ü»', (i * 13.37)::numeric(12, 2), i % 3 = 0,
      timestamptz '2020-01-01 00:00:00+00' + i * interval '37 minutes', date '1950-01-01' + i,
      (ARRAY['sad', 'ok', 'happy']::mood[])[1 + i % 3], ARRAY['t' || i % 5, 'x'], jsonb_build_object('n', i, 'even', i % 2 = 0),
      decode(md5(i::text), 'hex'), md5(i::text)::uuid, i * interval '1 second', i / 7.0
    FROM generate_series(1, 4000) i;
  CREATE TABLE orders (id serial PRIMARY KEY, customer bigint NOT NULL REFERENCES customers (id), amount integer CHECK (amount > 0), note text);
  INSERT INTO orders (customer, amount, note) SELECT 1 + i % 4000, 1 + i % 97, CASE WHEN i % 10 = 0 THEN NULL ELSE 'tab\there, quote '' and newline\n' END
    FROM generate_series(1, 6000) i;
  CREATE INDEX orders_customer ON orders (customer);
  CREATE VIEW big_spenders AS SELECT customer, sum(amount) AS total FROM orders GROUP BY customer HAVING sum(amount) > 100;
  CREATE FUNCTION total_of(c bigint) RETURNS bigint LANGUAGE sql STABLE AS 'SELECT coalesce(sum(amount), 0) FROM orders WHERE customer = c';
  COMMENT ON TABLE customers IS 'people who buy';`;

/** The stored file's bytes as holdfast reads them back (what the driver's restore consumes). */
async function holdfastStoredBytes(repo: { location: string; password: string }, snapshot: string, path: string): Promise<Buffer> {
  const env = repoEnvironment();
  const opened = createRepository(await openRepository(localBackend(repo.location), repo.password), env);
  const parts: Buffer[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, cb) { parts.push(chunk); cb(); } });
  await dumpFile(opened, snapshot, path, sink);
  return Buffer.concat(parts);
}

describe('postgres logical end to end', { skip }, () => {
  let e2e: E2E;
  const db = uniqueName('holdfast_e2e');
  before(async () => { e2e = await startE2E('pg-logical'); });
  after(async () => {
    await psql('postgres', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
    await e2e.stop();
  });

  let backup: any;
  let before_: string;

  it('restores a dropped database to the same pg_dump as before the backup', async () => {
    await psql('postgres', `CREATE DATABASE ${db}`);
    await psql(db, SCHEMA);
    before_ = await plainDump(db);
    assert.match(before_, /COPY public\.customers/);
    const resourceId = await e2e.createResource('pg-logical', 'postgres', { url: `${base}/${db}` });
    backup = await e2e.backup(resourceId);
    assert.equal(backup.extra.input.filename, `${db}.pgdump`);

    await psql(db, "UPDATE customers SET balance = 0 WHERE id < 100; DELETE FROM orders WHERE id % 2 = 0; DROP VIEW big_spenders;");
    assert.notEqual(await plainDump(db), before_);
    await psql('postgres', `DROP DATABASE ${db} WITH (FORCE)`);

    await e2e.restore(backup.id, {});
    assert.equal(await plainDump(db), before_);
    assert.equal((await psql(db, 'SELECT count(*) FROM orders')).includes('6000'), true);
  });

  it('restic restore of the snapshot gives the same dump file holdfast stored', async () => {
    assert.ok(backup, 'the round trip above must have run');
    const [repo] = await e2e.repositories();
    assert.ok(repo);
    const snapshot = backup.snapshotIds[0] as string;
    const target = join(e2e.dir, 'restic-restore');
    await restic(repo, ['restore', snapshot, '--target', target]);
    const fromRestic = await readFile(join(target, `${db}.pgdump`));
    const fromHoldfast = await holdfastStoredBytes(repo, snapshot, `/${db}.pgdump`);
    assert.ok(fromRestic.length > 100_000, `dump of ${fromRestic.length} bytes`);
    assert.equal(fromRestic.subarray(0, 5).toString(), 'PGDMP');
    assert.ok(fromRestic.equals(fromHoldfast), 'restic and holdfast read different bytes');
    assert.equal(backup.logicalBytes, fromRestic.length);
    // and the file restic gave back is a dump of the database as it was at backup time
    const asSql = withoutRestrict(await sh('pg_restore', ['--no-owner', '-f', '-', join(target, `${db}.pgdump`)]));
    assert.equal(asSql, before_);
  });

  it('leaves every repository it used passing restic check --read-data', async () => {
    await checkRepositories(e2e);
  });
});
