/**
 * PostgreSQL physical backups end to end through /v1. The machine's main
 * server allows no replication, so the test runs a private cluster: initdb
 * into a temporary directory (as the `postgres` OS user when run as root, since
 * PostgreSQL refuses root), a pg_hba.conf with `replication` trust for
 * 127.0.0.1, wal_level=replica, on a free port. Its pg_basebackup is stored
 * through the API, the data is then changed, and the restore into a fresh data
 * directory is started with pg_ctl on another port: it must serve the data as
 * it was at backup time (same pg_dump). Needs only local binaries: it never skips.
 */
import assert from 'node:assert/strict';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../source/helpers.js';
import { checkRepositories, startE2E, type E2E } from './e2e-helpers.js';
import { clusterBase, initCluster, pgOwner, plainDumpAt as plainDump, psqlAt as psql, startCluster, stopCluster, type Cluster } from './pg-cluster.js';

const DATA = `
  CREATE TABLE readings (id bigserial PRIMARY KEY, sensor text NOT NULL, at timestamptz NOT NULL, value double precision, raw bytea);
  INSERT INTO readings (sensor, at, value, raw) SELECT 'sensor-' || i % 17, timestamptz '2024-05-01 00:00:00+00' + i * interval '1 minute', sin(i) * 100, decode(md5(i::text), 'hex')
    FROM generate_series(1, 5000) i;
  CREATE INDEX readings_sensor ON readings (sensor, at);
  CREATE VIEW latest AS SELECT DISTINCT ON (sensor) sensor, at, value FROM readings ORDER BY sensor, at DESC;`;

describe('postgres physical end to end', () => {
  let e2e: E2E;
  let base: string;
  let socketDir: string;
  let source: Cluster;
  let restored: Cluster;
  let backupId: string | undefined;

  before(async () => {
    ({ base, socketDir } = clusterBase('holdfast-pgphys-'));
    source = await initCluster(join(base, 'source'));
    restored = { dataDir: join(base, 'restored'), port: await freePort() };
    await startCluster(source, socketDir);
    e2e = await startE2E('pg-physical');
  });

  after(async () => {
    if (restored !== undefined) await stopCluster(restored);
    if (source !== undefined) await stopCluster(source);
    if (e2e !== undefined) await e2e.stop();
    if (base !== undefined) rmSync(base, { recursive: true, force: true });
  });

  it('restores a pg_basebackup into a fresh data directory that pg_ctl starts and that serves the data', async () => {
    await psql(source.port, 'postgres', 'CREATE DATABASE plant');
    await psql(source.port, 'plant', DATA);
    const before_ = await plainDump(source.port, 'plant');
    assert.match(before_, /COPY public\.readings/);

    const resourceId = await e2e.createResource('pg-physical', 'postgres', { url: `postgres://postgres@127.0.0.1:${source.port}/postgres`, mode: 'physical' });
    const backup = await e2e.backup(resourceId);
    assert.equal(backup.extra.input.filename, `127.0.0.1-${source.port}.tar`);
    backupId = backup.id;

    await psql(source.port, 'plant', "DELETE FROM readings WHERE id % 3 = 0; DROP VIEW latest; INSERT INTO readings (sensor, at) VALUES ('late', now())");
    assert.notEqual(await plainDump(source.port, 'plant'), before_);

    await e2e.restore(backup.id, { dataDir: restored.dataDir });
    const st = statSync(restored.dataDir);
    assert.equal(st.mode & 0o777, 0o700);
    assert.deepEqual([st.uid, st.gid], [pgOwner().uid, pgOwner().gid]);
    await startCluster(restored, socketDir);
    assert.equal((await psql(restored.port, 'plant', 'SELECT pg_is_in_recovery(), count(*) FROM readings')).trim(), 'f|5000');
    assert.equal(await plainDump(restored.port, 'plant'), before_);
  });

  it('refuses to restore into a data directory that is not empty', async () => {
    assert.ok(backupId, 'the round trip above must have run');
    const started = await e2e.call('POST', `/v1/backups/${backupId}/restore`, { target: { dataDir: source.dataDir } });
    assert.equal(started.status, 202);
    const job = await e2e.waitForJob(started.json.id);
    assert.equal(job.state, 'FAILED');
    assert.match(JSON.stringify(job.error), /must be empty/);
    assert.match(await psql(source.port, 'plant', 'SELECT count(*) FROM readings'), /^\d+/);
  });

  it('leaves every repository it used passing restic check --read-data', async () => {
    await checkRepositories(e2e);
  });
});
