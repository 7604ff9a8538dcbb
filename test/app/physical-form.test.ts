/**
 * Backups in the physical form (`form: 'physical'`, a storage snapshot) of
 * resources configured for logical dumps, run by a real server's runner.
 * PostgreSQL: a private cluster (the main server allows no replication, see
 * test/http/pg-cluster.ts) is copied with pg_basebackup; its restore takes a
 * data directory, which pg_ctl starts on another port and which serves the
 * data as it was (same pg_dump); recovery ignores the physical copy, and a
 * backup without the form is the configured dump as before. MariaDB: when
 * mariadb-backup is installed, the whole local server is copied with it; the
 * restore into a fresh data directory starts with mariadbd on another port
 * and serves the scratch database as it was (same mariadb-dump), while a
 * restore into a database is refused without touching it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isHoldfastError } from '../../src/common/errors.js';
import { requestRestore } from '../../src/app/backups.js';
import { requestRecovery } from '../../src/app/recovery.js';
import { clusterBase, initCluster, plainDumpAt, psqlAt, startCluster, stopCluster, type Cluster } from '../http/pg-cluster.js';
import { freePort, serviceSkip, sh, uniqueName } from '../source/helpers.js';
import { startAppServer, type AppServer } from './app-server.js';

const DATA = `
  CREATE TABLE readings (id bigserial PRIMARY KEY, sensor text NOT NULL, at timestamptz NOT NULL, value double precision);
  INSERT INTO readings (sensor, at, value) SELECT 'sensor-' || i % 17, timestamptz '2024-05-01 00:00:00+00' + i * interval '1 minute', sin(i) * 100
    FROM generate_series(1, 4000) i;
  CREATE VIEW latest AS SELECT DISTINCT ON (sensor) sensor, at, value FROM readings ORDER BY sensor, at DESC;`;

describe('physical form on PostgreSQL (private cluster)', () => {
  let s: AppServer;
  let base = '';
  let socketDir = '';
  let source: Cluster;
  let restored: Cluster;
  let resourceId = '';

  before(async () => {
    ({ base, socketDir } = clusterBase('holdfast-pgform-'));
    source = await initCluster(join(base, 'source'));
    restored = { dataDir: join(base, 'restored'), port: await freePort() };
    await startCluster(source, socketDir);
    s = await startAppServer('pg-form');
  });
  after(async () => {
    if (restored !== undefined) await stopCluster(restored);
    if (source !== undefined) await stopCluster(source);
    await s?.stop();
    if (base !== '') rmSync(base, { recursive: true, force: true });
  });

  it('takes a pg_basebackup of a logical resource, restores it into a data directory that pg_ctl starts, serving the snapshot', async () => {
    await psqlAt(source.port, 'postgres', 'CREATE DATABASE plant');
    await psqlAt(source.port, 'plant', DATA);
    const atSnapshot = await plainDumpAt(source.port, 'plant');
    resourceId = await s.createResource('plant', 'postgres', { url: `postgres://postgres@127.0.0.1:${source.port}/plant` });

    const physical = await s.backup({ resourceId, type: 'FULL', form: 'physical', extra: { dbTag: 'TAG20261201T120000' } });
    assert.equal(physical.extra['form'], 'physical');
    assert.deepEqual(physical.extra['input'], { kind: 'stream', filename: `127.0.0.1-${source.port}.tar` });
    await assert.rejects(requestRecovery(s.app, s.who, resourceId, { latest: true }), (e: unknown) => isHoldfastError(e, 'NOT_FOUND'), 'recovery uses logical backups only');
    await assert.rejects(requestRecovery(s.app, s.who, resourceId, { tag: 'TAG20261201T120000' }), (e: unknown) => isHoldfastError(e, 'NOT_FOUND'));

    await psqlAt(source.port, 'plant', "DELETE FROM readings WHERE id % 3 = 0; DROP VIEW latest; INSERT INTO readings (sensor, at) VALUES ('late', now())");
    assert.notEqual(await plainDumpAt(source.port, 'plant'), atSnapshot);

    await assert.rejects(requestRestore(s.app, s.who, physical.id, {}), (e: unknown) => isHoldfastError(e, 'INVALID_ARGUMENT') && /dataDir/.test(e.message));
    const job = await requestRestore(s.app, s.who, physical.id, { dataDir: restored.dataDir });
    const done = await s.waitForJob(job.id);
    assert.equal(done.state, 'SUCCEEDED', JSON.stringify(done.error));
    await startCluster(restored, socketDir);
    assert.equal((await psqlAt(restored.port, 'plant', 'SELECT pg_is_in_recovery(), count(*) FROM readings')).trim(), 'f|4000');
    assert.equal(await plainDumpAt(restored.port, 'plant'), atSnapshot);
  });

  it('still takes the configured pg_dump without the form, and recovery picks that one', async () => {
    assert.notEqual(resourceId, '', 'the test above made the resource');
    const logical = await s.backup({ resourceId, type: 'FULL' });
    assert.equal(logical.extra['form'], undefined);
    assert.deepEqual(logical.extra['input'], { kind: 'stream', filename: 'plant.pgdump' });
    const { backup } = await requestRecovery(s.app, s.who, resourceId, { latest: true });
    assert.equal(backup.id, logical.id);
  });
});

const mariaSkip = await serviceSkip('MariaDB', 3306);
const backupToolSkip = mariaSkip
  ?? (existsSync('/usr/bin/mariadb-backup') ? undefined : toolMissing('mariadb-backup is not installed (apt-get install mariadb-backup)'))
  ?? (existsSync('/usr/sbin/mariadbd') ? undefined : toolMissing('mariadbd (to start the restored copy) is not installed'));

function toolMissing(message: string): string {
  if (process.env['HOLDFAST_REQUIRE_SERVICES'] === '1') throw new Error(`${message} and HOLDFAST_REQUIRE_SERVICES=1`);
  return `${message}; skipping (set HOLDFAST_REQUIRE_SERVICES=1 to fail instead)`;
}

const client = (port: number): string[] => ['--protocol=TCP', '-h', '127.0.0.1', '-P', String(port), '-u', 'root'];
const mariaSql = (port: number, statements: string, db?: string): Promise<string> => sh('mariadb', [...client(port), ...(db ? [db] : []), '-e', statements]);
const mariaDump = (port: number, db: string): Promise<string> =>
  sh('mariadb-dump', [...client(port), '--skip-dump-date', '--single-transaction', '--routines', '--triggers', '--events', db]);

/** Starts mariadbd on a restored data directory (as mysql when we are root) and waits until it answers. */
async function startMariadb(dataDir: string, runDir: string, port: number): Promise<ChildProcess> {
  const asRoot = process.getuid?.() === 0;
  if (asRoot) await sh('chown', ['-R', 'mysql:mysql', dataDir, runDir]);
  const child = spawn('mariadbd', [
    '--no-defaults', `--datadir=${dataDir}`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${join(runDir, 'sock')}`,
    `--pid-file=${join(runDir, 'pid')}`, `--log-error=${join(runDir, 'error.log')}`, '--skip-log-bin', ...(asRoot ? ['--user=mysql'] : []),
  ], { stdio: 'ignore' });
  for (let i = 0; i < 300; i++) {
    if (await mariaSql(port, 'SELECT 1').then(() => true, () => false)) return child;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  const log = await sh('tail', ['-n', '20', join(runDir, 'error.log')]).catch(() => '(no log)');
  throw new Error(`mariadbd on ${dataDir} did not start:\n${log}`);
}

describe('physical form on MariaDB (mariadb-backup)', { skip: backupToolSkip }, () => {
  let s: AppServer;
  const db = uniqueName('holdfast_mform');
  let dir = '';
  let server: ChildProcess | undefined;

  before(async () => {
    s = await startAppServer('maria-form');
    dir = mkdtempSync(join(tmpdir(), 'holdfast-mform-'));
    chmodSync(dir, 0o755); // mariadbd runs as mysql and must reach the data directory inside
    await mariaSql(3306, `CREATE DATABASE ${db}`);
    // No AUTO_INCREMENT: a bulk insert reserves counter values the live server shows and a restarted one does not.
    await mariaSql(3306, `CREATE TABLE t (id INT PRIMARY KEY, v TEXT, n DECIMAL(10,2)) ENGINE=InnoDB;
      INSERT INTO t SELECT seq, MD5(seq), seq / 3 FROM seq_1_to_5000; CREATE VIEW odd AS SELECT id FROM t WHERE id % 2 = 1;`, db);
  });
  after(async () => {
    if (server !== undefined && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    await mariaSql(3306, `DROP DATABASE IF EXISTS ${db}`).catch(() => undefined);
    await s?.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('copies the server with mariadb-backup; the prepared data directory starts with mariadbd and serves the snapshot', async () => {
    const atSnapshot = await mariaDump(3306, db);
    const resourceId = await s.createResource('shop', 'mariadb', { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: db });
    const physical = await s.backup({ resourceId, type: 'FULL', form: 'physical' });
    assert.deepEqual(physical.extra['input'], { kind: 'stream', filename: '127.0.0.1-3306.xbstream' });
    await mariaSql(3306, 'DELETE FROM t WHERE id < 1000; DROP VIEW odd;', db);
    const changed = await mariaDump(3306, db);
    assert.notEqual(changed, atSnapshot);

    const intoDb = await s.waitForJob((await requestRestore(s.app, s.who, physical.id, {})).id);
    assert.equal(intoDb.state, 'FAILED');
    assert.match(intoDb.error?.message ?? '', /mariadb-backup copy of the whole server/);
    assert.equal(await mariaDump(3306, db), changed, 'the refused restore left the database alone');

    const dataDir = join(dir, 'data');
    const runDir = join(dir, 'run');
    mkdirSync(runDir);
    const done = await s.waitForJob((await requestRestore(s.app, s.who, physical.id, { dataDir })).id);
    assert.equal(done.state, 'SUCCEEDED', JSON.stringify(done.error));
    assert.ok(existsSync(join(dataDir, db)), 'the database directory is in the prepared copy');
    const port = await freePort();
    server = await startMariadb(dataDir, runDir, port);
    assert.equal(await mariaDump(port, db), atSnapshot);
  });
});
