/**
 * Issue 5's acceptance end to end through the HTTP API, on one server and one
 * identity domain (so one tenant repository holds everything):
 * - per engine (this machine's PostgreSQL and MariaDB, a scratch database
 *   each): two DBCS backups with changes after each, then recovery by the
 *   first backup's dbTag, by a `dd-MMM-yyyy HH:mm:ss` time between the two
 *   backups and by latest, each giving the plain dump taken at that backup;
 *   the recovery history lists the three, newest first;
 * - a Database Classic snapshot of an instance on a private cluster
 *   (test/http/pg-cluster.ts; the main server allows no replication),
 *   restored through the native API into a fresh data directory that pg_ctl
 *   starts on another port and that serves the snapshot's data;
 * - the tenant's repository (GET /v1/repository) passes `restic check
 *   --read-data` and holds exactly one snapshot per backup and snapshot made.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clusterBase, initCluster, plainDumpAt, psqlAt, startCluster, stopCluster, type Cluster } from '../pg-cluster.js';
import { restic } from '../e2e-helpers.js';
import { freePort, serviceSkip, uniqueName } from '../../source/helpers.js';
import { MARIADB_SAMPLE, POSTGRES_SAMPLE } from '../../source/sample-databases.js';
import { basicFetch, startPaasServer, type Domain, type PaasServer } from './paas-fixture.js';

const pgSkip = await serviceSkip('PostgreSQL', 5432);
const mariaSkip = await serviceSkip('MariaDB', 3306);

const DOMAIN = 'usexample';
const USER = 'dbcsadmin:Pa55_word';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const ENGINES = [{ ...POSTGRES_SAMPLE, skip: pgSkip }, { ...MARIADB_SAMPLE, skip: mariaSkip }];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pad = (n: number): string => String(n).padStart(2, '0');

/** `27-Jul-2016 19:20:26` (the recovery body's form, UTC) of an instant. */
function recoveryTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** The instant of a backup list date `27-Jul-2016 19:20:26 UTC`. */
function instantOf(dbcsDate: string): number {
  const m = /^(\d\d)-(\w{3})-(\d{4}) (\d\d):(\d\d):(\d\d) UTC$/.exec(dbcsDate);
  assert.ok(m, dbcsDate);
  return Date.UTC(+m[3]!, MONTHS.indexOf(m[2]!), +m[1]!, +m[4]!, +m[5]!, +m[6]!);
}

/** GETs a job URL (Basic auth) until `state(json)` is final; answers the last JSON. */
async function followJob(url: string, state: (json: any) => string, final: readonly string[]): Promise<any> {
  for (let i = 0; i < 1200; i++) {
    const answer = await basicFetch('GET', url, USER, DOMAIN);
    assert.equal(answer.status, 200, answer.body);
    const json = JSON.parse(answer.body);
    if (final.includes(state(json))) return json;
    await sleep(100);
  }
  throw new Error(`${url} did not finish`);
}

describe('Oracle PaaS acceptance end to end through the HTTP API', { skip: pgSkip !== undefined && mariaSkip !== undefined ? `${pgSkip}; ${mariaSkip}` : undefined }, () => {
  let srv: PaasServer;
  let domain: Domain;
  /** The native ids of every backup and snapshot made, for the repository check. */
  const made: string[] = [];
  before(async () => {
    srv = await startPaasServer();
    domain = await srv.domain(DOMAIN, [DOMAIN], { dbcsadmin: 'Pa55_word' });
  });
  after(async () => { await srv?.stop(); });

  /** Native /v1 call as the domain's admin. */
  const native = (method: string, path: string, body?: unknown): ReturnType<PaasServer['call']> => srv.call(method, path, body, domain.token);

  async function nativeJob(id: string): Promise<any> {
    for (let i = 0; i < 1200; i++) {
      const { json } = await native('GET', `/v1/jobs/${id}`);
      if (['SUCCEEDED', 'FAILED', 'CANCELED'].includes(json.state)) return json;
      await sleep(100);
    }
    throw new Error(`job ${id} did not finish`);
  }

  for (const engine of ENGINES) {
    describe(`DBCS backups and recovery on ${engine.name}`, { skip: engine.skip }, () => {
      const db = uniqueName('holdfast_paase2e');
      const service = `e2e-${engine.driver}`;
      let instances = '';
      let dumpA = '';
      let dumpB = '';
      let tagA = '';
      let between = '';
      let resourceId = '';

      before(async () => {
        instances = `${srv.url}/paas/service/dbcs/api/v1.1/instances/${DOMAIN}`;
        await engine.createDb(db);
        await engine.sql(db, engine.schema);
        resourceId = await srv.resource(domain, service, engine.driver, engine.config(db));
      });
      after(async () => { await engine.dropDb(db).catch(() => undefined); });

      const backupList = async (): Promise<any[]> => {
        const answer = await basicFetch('GET', `${instances}/${service}/backups`, USER, DOMAIN);
        assert.equal(answer.status, 200, answer.body);
        return JSON.parse(answer.body).backupList;
      };

      /** Starts a backup, follows Location to Succeeded; answers the new backup list item. */
      const backUp = async (): Promise<any> => {
        const known = new Set((await backupList()).map((b) => b.dbTag));
        const answer = await basicFetch('POST', `${instances}/${service}/backups`, USER, DOMAIN, {});
        assert.equal(answer.status, 202, answer.body);
        const job = await followJob(answer.headers.get('location')!, (j) => j.job_status, ['Succeeded', 'Failed']);
        assert.equal(job.job_status, 'Succeeded', JSON.stringify(job));
        const fresh = (await backupList()).filter((b) => !known.has(b.dbTag));
        assert.equal(fresh.length, 1);
        assert.equal(fresh[0].status, 'COMPLETED');
        assert.match(fresh[0].dbTag, /^TAG\d{8}T\d{6}$/);
        return fresh[0];
      };

      const recover = async (body: unknown): Promise<void> => {
        const answer = await basicFetch('POST', `${instances}/${service}/backups/recovery`, USER, DOMAIN, body);
        assert.equal(answer.status, 202, `${JSON.stringify(body)}: ${answer.body}`);
        const location = answer.headers.get('location') ?? '';
        assert.match(location, /\/status\/recovery\/job\/[1-9][0-9]*$/);
        const job = await followJob(location, (j) => j.job_status, ['Succeeded', 'Failed']);
        assert.equal(job.job_status, 'Succeeded', JSON.stringify(job));
        assert.equal(job.job_operation, 'recovery');
      };

      it('backs up twice with changes, then recovers by tag, by a time between the backups and the latest, each to its dump', async () => {
        dumpA = await engine.dump(db);
        const a = await backUp();
        tagA = a.dbTag;
        // The list's start date is the image time cut to the second: one second later lies at or after the image.
        const betweenMs = instantOf(a.backupStartDate) + 1000;
        between = recoveryTime(betweenMs);
        await engine.sql(db, engine.changes[0]);
        dumpB = await engine.dump(db);
        assert.notEqual(dumpB, dumpA);
        await sleep(Math.max(0, betweenMs + 1100 - Date.now()));
        const b = await backUp();
        assert.ok(instantOf(b.backupStartDate) > betweenMs, `${b.backupStartDate} after ${between}`);
        await engine.sql(db, engine.changes[1]);
        assert.notEqual(await engine.dump(db), dumpB);
        const stored = (await native('GET', `/v1/backups?resourceId=${resourceId}`)).json.items;
        assert.deepEqual(stored.map((x: any) => x.extra.dbTag).sort(), [a.dbTag, b.dbTag].sort());
        made.push(...stored.map((x: any) => x.id));

        await recover({ tag: tagA });
        assert.equal(await engine.dump(db), dumpA);

        await engine.sql(db, engine.changes[0]);
        assert.notEqual(await engine.dump(db), dumpA);
        await recover({ timestamp: between });
        assert.equal(await engine.dump(db), dumpA);

        await recover({ latest: true });
        assert.equal(await engine.dump(db), dumpB);
      });

      it('lists the three recoveries newest first, completed', async () => {
        assert.ok(tagA !== '', 'the round trip above must have run');
        const answer = await basicFetch('GET', `${instances}/${service}/backups/recovery/history`, USER, DOMAIN);
        assert.equal(answer.status, 200, answer.body);
        const history = JSON.parse(answer.body).recoveryList;
        assert.deepEqual(history.map((h: any) => h.dbTag ?? h.timestamp ?? h.latest), [true, between, tagA]);
        assert.ok(history.every((h: any) => h.status === 'COMPLETED' && typeof h.recoveryCompleteDate === 'string'), answer.body);
      });
    });
  }

  describe('a physical PostgreSQL snapshot restored into a fresh data directory', { skip: pgSkip }, () => {
    let base = '';
    let socketDir = '';
    let source: Cluster | undefined;
    let restored: Cluster | undefined;
    let resourceId = '';
    before(async () => {
      ({ base, socketDir } = clusterBase('holdfast-paase2e-'));
      source = await initCluster(join(base, 'source'));
      await startCluster(source, socketDir);
      restored = { dataDir: join(base, 'restored'), port: await freePort() };
      await psqlAt(source.port, 'postgres', 'CREATE DATABASE plant');
      await psqlAt(source.port, 'plant', `CREATE TABLE readings (id bigserial PRIMARY KEY, sensor text, value double precision);
        INSERT INTO readings (sensor, value) SELECT 'sensor-' || i % 13, sin(i) FROM generate_series(1, 4000) i;`);
      resourceId = await srv.resource(domain, 'db-phys', 'postgres', { url: `postgres://postgres@127.0.0.1:${source.port}/plant` });
    });
    after(async () => {
      if (restored !== undefined) await stopCluster(restored);
      if (source !== undefined) await stopCluster(source);
      if (base !== '') rmSync(base, { recursive: true, force: true });
    });

    it('snapshots through the snapshots API, restores through the native API, and the restored server serves the snapshot', async () => {
      const snapshots = `${srv.url}/paas/api/v1.1/instancemgmt/${DOMAIN}/services/dbaas/instances/db-phys/snapshots`;
      const before_ = await plainDumpAt(source!.port, 'plant');
      const created = await basicFetch('POST', snapshots, USER, DOMAIN, { name: 'e2esnap', description: 'acceptance' });
      assert.equal(created.status, 202, created.body);
      const job = await followJob(created.headers.get('location')!, (j) => j.status, ['SUCCEED', 'FAILED']);
      assert.equal(job.status, 'SUCCEED', JSON.stringify(job));
      const list = await basicFetch('GET', snapshots, USER, DOMAIN);
      assert.deepEqual(JSON.parse(list.body).map((s: any) => [s.name, s.status]), [['e2esnap', 'Succeeded']]);

      await psqlAt(source!.port, 'plant', "DELETE FROM readings WHERE id % 2 = 0; INSERT INTO readings (sensor) VALUES ('late')");
      assert.notEqual(await plainDumpAt(source!.port, 'plant'), before_);

      const backups = (await native('GET', `/v1/backups?resourceId=${resourceId}`)).json.items;
      const snap = backups.find((b: any) => b.name === 'e2esnap');
      assert.ok(snap, JSON.stringify(backups));
      assert.equal(snap.extra.form, 'physical');
      made.push(snap.id);
      const restore = await native('POST', `/v1/backups/${snap.id}/restore`, { target: { dataDir: restored!.dataDir } });
      assert.equal(restore.status, 202, JSON.stringify(restore.json));
      const done = await nativeJob(restore.json.id);
      assert.equal(done.state, 'SUCCEEDED', JSON.stringify(done.error));

      await startCluster(restored!, socketDir);
      assert.equal((await psqlAt(restored!.port, 'plant', 'SELECT pg_is_in_recovery(), count(*) FROM readings')).trim(), 'f|4000');
      assert.equal(await plainDumpAt(restored!.port, 'plant'), before_);
    });
  });

  it('keeps every backup and snapshot in the tenant repository, one restic snapshot each, passing restic check --read-data', async () => {
    assert.ok(made.length > 0, 'the parts above made backups');
    const access = await native('GET', '/v1/repository');
    assert.equal(access.status, 200, JSON.stringify(access.json));
    const repo = { location: access.json.location as string, password: access.json.password as string };
    assert.match(await restic(repo, ['check', '--read-data']), /no errors were found/);
    const snapshots: { id: string }[] = JSON.parse(await restic(repo, ['snapshots', '--json']));
    const all = (await native('GET', '/v1/backups?limit=1000')).json.items;
    assert.deepEqual(all.map((b: any) => b.id).sort(), [...made].sort(), 'the tenant has exactly the backups made here');
    const expected = all.flatMap((b: any) => b.snapshotIds).sort();
    assert.equal(expected.length, made.length, 'one restic snapshot per backup');
    assert.deepEqual(snapshots.map((s) => s.id).sort(), expected);
  });
});
