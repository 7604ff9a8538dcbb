/**
 * The MariaDB driver's physical form, at the driver: without mariadb-backup on
 * the tools' PATH it falls back to the consistent dump, which restores into a
 * database and is refused for a dataDir; a mariadb-backup stream is refused by
 * the logical restore before anything is created; targets parse as before
 * without the form, and a parsed target parses to itself (the restore job
 * parses the target it stored). The real mariadb-backup round trip runs in
 * test/app/physical-form.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isHoldfastError } from '../../src/common/errors.js';
import { mariadbDriver } from '../../src/source/mariadb.js';
import { findTool, peekServerCopy } from '../../src/source/mariadb-physical.js';
import { postgresDriver } from '../../src/source/postgres.js';
import { consume, fakeSource } from './conformance.js';
import { serviceSkip, sh, uniqueName } from './helpers.js';

const skip = await serviceSkip('MariaDB', 3306);
const client = ['--protocol=TCP', '-h', '127.0.0.1', '-P', '3306', '-u', 'root'];
const sql = (statements: string, db?: string): Promise<string> => sh('mariadb', [...client, ...(db ? [db] : []), '-e', statements]);
const dump = (db: string): Promise<string> => sh('mariadb-dump', [...client, '--skip-dump-date', '--single-transaction', '--routines', '--triggers', db]);

async function* chunks(parts: readonly string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield Buffer.from(p);
}

const invalid = (pattern: RegExp) => (e: unknown): boolean => isHoldfastError(e, 'INVALID_ARGUMENT') && pattern.test(e.message);

describe('mariadb physical form, without a database', () => {
  it('peeks the xbstream magic across chunk boundaries and replays the whole stream', async () => {
    const peeked = await peekServerCopy(chunks(['XB', 'STCK', '01 and the rest']));
    assert.equal(peeked.serverCopy, true);
    const all: Buffer[] = [];
    for await (const c of peeked.stream) all.push(Buffer.from(c));
    assert.equal(Buffer.concat(all).toString(), 'XBSTCK01 and the rest');
    assert.equal((await peekServerCopy(chunks(['-- MariaDB dump']))).serverCopy, false);
    assert.equal((await peekServerCopy(chunks(['XBS']))).serverCopy, false, 'a stream shorter than the magic');
  });

  it('finds tools on the given PATH only', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'holdfast-path-'));
    try {
      assert.equal(await findTool(['mariadb-backup'], { PATH: empty }), undefined);
      if (existsSync('/usr/bin/mariadb-backup')) assert.equal(await findTool(['nope', 'mariadb-backup'], { PATH: `${empty}:/usr/bin` }), '/usr/bin/mariadb-backup');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('parses targets as before without the form, a dataDir with it, and each parsed target to itself', () => {
    const config = mariadbDriver.parseConfig({ host: 'h', user: 'u', database: 'shop' });
    assert.deepEqual(mariadbDriver.parseTarget({ dataDir: '/srv/x' }, config), { database: 'shop', recreate: false });
    assert.deepEqual(mariadbDriver.parseTarget({ dataDir: '/srv/x' }, config, { form: 'physical' }), { dataDir: '/srv/x' });
    assert.deepEqual(mariadbDriver.parseTarget({}, config, { form: 'physical' }), { database: 'shop', recreate: false });
    assert.deepEqual(mariadbDriver.parseTarget({ recreate: true }, config), { database: 'shop', recreate: true });
    assert.throws(() => mariadbDriver.parseTarget({ dataDir: 'rel' }, config, { form: 'physical' }), invalid(/dataDir/));
    const pg = postgresDriver.parseConfig({ url: 'postgres://app:pw@127.0.0.1:5432/shop' });
    for (const raw of [{}, { recreate: true }, { url: 'postgres://app@127.0.0.1:5432/copy', clean: false }, { url: 'postgres://other:pw2@db.example:5433/x' }]) {
      const once = postgresDriver.parseTarget(raw, pg);
      assert.deepEqual(postgresDriver.parseTarget(once, pg), once, JSON.stringify(raw));
    }
    assert.equal((postgresDriver.parseTarget({ url: 'postgres://app@127.0.0.1:5432/copy' }, pg) as { conn: { database: string } }).conn.database, 'copy');
    const physical = postgresDriver.parseTarget({ dataDir: '/srv/pg' }, pg, { form: 'physical' });
    assert.deepEqual(physical, { kind: 'physical', dataDir: '/srv/pg' });
    assert.deepEqual(postgresDriver.parseTarget(physical, pg, { form: 'physical' }), physical);
    assert.throws(() => postgresDriver.parseTarget({}, pg, { form: 'physical' }), invalid(/dataDir/));
  });
});

describe('mariadb physical form on the local server', { skip }, () => {
  const db = uniqueName('holdfast_phys');
  const never = uniqueName('holdfast_never');
  let scratch = '';
  let onlyDump = '';
  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'holdfast-mdbphys-'));
    onlyDump = join(scratch, 'bin');
    await sh('mkdir', [onlyDump]);
    symlinkSync('/usr/bin/mariadb-dump', join(onlyDump, 'mariadb-dump'));
    await sql(`CREATE DATABASE ${db}`);
    await sql('CREATE TABLE t (id INT PRIMARY KEY, v TEXT) ENGINE=InnoDB; INSERT INTO t SELECT seq, MD5(seq) FROM seq_1_to_2000;', db);
  });
  after(async () => {
    await sql(`DROP DATABASE IF EXISTS ${db}; DROP DATABASE IF EXISTS ${never}`).catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  });

  it('falls back to the consistent dump when mariadb-backup is not on PATH; the dump restores into a database, not a dataDir', async () => {
    const config = mariadbDriver.parseConfig({ host: '127.0.0.1', user: 'root', database: db });
    const expected = await dump(db);
    const session = await mariadbDriver.openBackup(config, { scratchDir: scratch, env: { PATH: onlyDump } }, { form: 'physical' });
    const collected = await consume(session.input, join(scratch, 'holding'));
    await session.finish();
    assert.ok(collected.kind === 'stream' && collected.filename === `${db}.sql`);
    assert.match(collected.bytes.toString('utf8', 0, 200), /^-- MariaDB dump/m);

    const dataDir = join(scratch, 'never-made');
    const asDir = mariadbDriver.parseTarget({ dataDir }, config, { form: 'physical' });
    await assert.rejects(mariadbDriver.restore(config, asDir, fakeSource(collected), { scratchDir: scratch, env: process.env }), invalid(/logical dump/));
    assert.equal(existsSync(dataDir), false);

    await sql(`DROP DATABASE ${db}`);
    await mariadbDriver.restore(config, mariadbDriver.parseTarget({}, config, { form: 'physical' }), fakeSource(collected), { scratchDir: scratch, env: process.env });
    assert.equal(await dump(db), expected);
  });

  it('refuses to pipe a mariadb-backup stream into a database, before creating it', async () => {
    const config = mariadbDriver.parseConfig({ host: '127.0.0.1', user: 'root', database: never });
    const collected = { kind: 'stream' as const, filename: 'x.xbstream', bytes: Buffer.concat([Buffer.from('XBSTCK01'), Buffer.alloc(300_000)]) };
    await assert.rejects(mariadbDriver.restore(config, { database: never, recreate: false }, fakeSource(collected), { scratchDir: scratch, env: process.env }), invalid(/dataDir/));
    assert.equal((await sql(`SHOW DATABASES LIKE '${never}'`)).trim(), '');
  });
});
