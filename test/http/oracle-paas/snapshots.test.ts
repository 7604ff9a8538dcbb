/**
 * Database Classic storage snapshots through the real curl: the seed's create
 * command (000_e6f102ff87a1e605) run verbatim but for scheme, host and port
 * answers 202 with Location, Retry-After and the job id; following Location
 * reaches SUCCEED; the snapshot then lists and reads as Succeeded; the
 * activity-log form of the job, the `idcs-…` spelling of the domain, a
 * duplicate name, a missing name and delete are checked too. A snapshot is a
 * physical copy (pg_basebackup), which the machine's main PostgreSQL refuses
 * (no replication entry), so the instance is a scratch database on a private
 * cluster (test/http/pg-cluster.ts).
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clusterBase, initCluster, startCluster, stopCluster, type Cluster } from '../pg-cluster.js';
import { serviceSkip } from '../../source/helpers.js';
import { assertCors, curl, curlGet, follow, startPaasServer, type Domain, type PaasServer } from './paas-fixture.js';

const skip = await serviceSkip('PostgreSQL', 5432);

const SEED_HOST = 'https://dbaas.oraclecloud.com';
const SEED_CREATE = `curl --include --request POST \\
--user dbcsadmin:password \\
--header "X-ID-TENANT-NAME:usexample" \\
--header "Content-Type: application/json" \\
--data '{"name":"snapshot4patchtest", "description":"Snapshot to test application of PSU patch"}' \\
https://dbaas.oraclecloud.com/paas/api/v1.1/instancemgmt/usexample/services/dbaas/instances/db121-ep-si/snapshots`;

const IDCS = 'idcs-4656dbcafeb47777d3efabcdef12345';
const USER = 'dbcsadmin:password';
const ACTIVITY_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/;

describe('Oracle Database Classic snapshots (seed 000) through curl', { skip }, () => {
  let srv: PaasServer;
  let domain: Domain;
  let snapshots = '';
  let base = '';
  let cluster: Cluster | undefined;
  before(async () => {
    const dirs = clusterBase('holdfast-paas-pg-');
    base = dirs.base;
    cluster = await initCluster(join(base, 'data'));
    await startCluster(cluster, dirs.socketDir);
    srv = await startPaasServer();
    domain = await srv.domain('usexample', ['usexample', IDCS], { dbcsadmin: 'password' });
    await srv.instance(domain, 'db121-ep-si', `postgres://postgres@127.0.0.1:${cluster.port}`);
    snapshots = `${srv.url}/paas/api/v1.1/instancemgmt/usexample/services/dbaas/instances/db121-ep-si/snapshots`;
  });
  after(async () => {
    await srv?.stop();
    if (cluster !== undefined) await stopCluster(cluster);
    if (base !== '') rmSync(base, { recursive: true, force: true });
  });

  const counts = async (): Promise<{ jobs: number; backups: number }> => ({
    jobs: (await srv.call('GET', '/v1/jobs?limit=1000', undefined, domain.token)).json.items.length,
    backups: (await srv.call('GET', '/v1/backups?limit=1000', undefined, domain.token)).json.items.length,
  });

  it('answers the seed command 202 with Location, Retry-After 60 and the job id, and the job succeeds', async () => {
    const answer = await curl(SEED_CREATE.replace(SEED_HOST, srv.url));
    assert.equal(answer.status, 202, answer.body);
    const location = answer.headers['location']?.[0] ?? '';
    const m = new RegExp(`^${snapshots.replace(/[.]/g, '\\.')}/job/([1-9][0-9]*)$`).exec(location);
    assert.ok(m, `Location ${location}`);
    const jobNumber = m[1]!;
    assert.deepEqual(answer.headers['retry-after'], ['60']);
    assert.match(answer.headers['content-type']?.[0] ?? '', /^application\/json/);
    assertCors(answer);
    const body = JSON.parse(answer.body);
    assert.equal(body.details.jobId, jobNumber);
    assert.equal(body.jobId, jobNumber);
    assert.match(body.details.message, /db121-ep-si/);

    const { json, states } = await follow(location, USER, 'usexample', (j) => j.status, (s) => s === 'SUCCEED' || s === 'FAILED');
    assert.equal(json.status, 'SUCCEED', JSON.stringify(json));
    assert.ok(states.every((s) => ['NEW', 'RUNNING', 'SUCCEED'].includes(s)), states.join(' → '));
    assert.equal(json.jobId, Number(jobNumber));
    assert.equal(json.serviceName, 'db121-ep-si');
    assert.equal(json.identityDomain, 'usexample');
    assert.equal(json.operationType, 'CREATE_SNAPSHOT');
    assert.match(json.startDate, ACTIVITY_TIME);
    assert.match(json.endDate, ACTIVITY_TIME);
    assert.equal(json.messages.at(-1).message, 'Activity Succeeded');

    const activity = await curlGet(`${srv.url}/paas/api/v1.1/activitylog/usexample/job/${jobNumber}`, USER, 'usexample');
    assert.equal(activity.status, 200, activity.body);
    assert.deepEqual(JSON.parse(activity.body), json);
  });

  it('lists and reads the snapshot as Succeeded; the core holds it as a physical backup', async () => {
    const list = await curlGet(snapshots, USER, 'usexample');
    assert.equal(list.status, 200, list.body);
    assertCors(list);
    const items = JSON.parse(list.body);
    assert.equal(items.length, 1);
    assert.deepEqual({ ...items[0], creationTime: 'x' }, {
      name: 'snapshot4patchtest', description: 'Snapshot to test application of PSU patch', status: 'Succeeded',
      creationTime: 'x', clonedServicesSize: 0, clonedServices: [],
    });
    assert.match(items[0].creationTime, ACTIVITY_TIME);
    const one = await curlGet(`${snapshots}/snapshot4patchtest`, USER, 'usexample');
    assert.equal(one.status, 200, one.body);
    assert.deepEqual(JSON.parse(one.body), items[0]);
    const backups = (await srv.call('GET', '/v1/backups', undefined, domain.token)).json.items;
    assert.equal(backups.length, 1);
    assert.equal(backups[0].extra.form, 'physical');
    assert.equal(backups[0].state, 'AVAILABLE');
    assert.match(backups[0].extra.input.filename, /\.tar$/, 'a pg_basebackup tar');
  });

  it('answers the same under the idcs- id of the identity domain', async () => {
    const list = await curlGet(snapshots.replace('/instancemgmt/usexample/', `/instancemgmt/${IDCS}/`), USER, IDCS);
    assert.equal(list.status, 200, list.body);
    assert.equal(JSON.parse(list.body)[0].name, 'snapshot4patchtest');
  });

  it('refuses a second snapshot of the same name (409) and one without a name (400), creating nothing', async () => {
    const before_ = await counts();
    const again = await curl(SEED_CREATE.replace(SEED_HOST, srv.url));
    assert.equal(again.status, 409, again.body);
    assert.equal(JSON.parse(again.body).status, 'Failed');
    assert.match(JSON.parse(again.body).details.message, /already exists/);
    assertCors(again);
    const nameless = await curl(`curl -s -i -X POST -u ${USER} -H "X-ID-TENANT-NAME:usexample" -H "Content-Type: application/json" -d '{"description":"x"}' ${snapshots}`);
    assert.equal(nameless.status, 400, nameless.body);
    assert.match(JSON.parse(nameless.body).details.message, /name/);
    assert.deepEqual(await counts(), before_);
  });

  it('answers 404 for a snapshot or job that does not exist', async () => {
    assert.equal((await curlGet(`${snapshots}/nosuchsnapshot`, USER, 'usexample')).status, 404);
    assert.equal((await curlGet(`${snapshots}/job/123456789`, USER, 'usexample')).status, 404);
    assert.equal((await curlGet(`${srv.url}/paas/api/v1.1/activitylog/usexample/job/99`, USER, 'usexample')).status, 404);
  });

  it('deletes the snapshot: 202 with the job, which succeeds, and the snapshot is gone', async () => {
    const answer = await curl(`curl -s -i -X DELETE -u ${USER} -H "X-ID-TENANT-NAME:usexample" ${snapshots}/snapshot4patchtest`);
    assert.equal(answer.status, 202, answer.body);
    const location = answer.headers['location']?.[0] ?? '';
    assert.match(location, /\/snapshots\/job\/[1-9][0-9]*$/);
    assert.equal(JSON.parse(answer.body).details.jobId, /([0-9]+)$/.exec(location)![1]);
    const { json } = await follow(location, USER, 'usexample', (j) => j.status, (s) => s === 'SUCCEED' || s === 'FAILED');
    assert.equal(json.status, 'SUCCEED', JSON.stringify(json));
    assert.equal(json.operationType, 'DELETE_SNAPSHOT');
    assert.deepEqual(JSON.parse((await curlGet(snapshots, USER, 'usexample')).body), []);
    assert.equal((await curlGet(`${snapshots}/snapshot4patchtest`, USER, 'usexample')).status, 404);
  });
});
