/**
 * Database Classic / Exadata on-demand backups through the real curl: the
 * seed's command (001_779b83f0dd8e5f9b) run verbatim but for scheme, host,
 * port (and without --cacert) answers exactly as Oracle's: 202, empty body,
 * Location of the job, Retry-After, Service-URI and the CORS headers;
 * following Location reaches Succeeded and the list shows the backup
 * COMPLETED with its RMAN-style tag. keepForever, recovery by latest and by
 * tag (with its history) and the recovery body's refusals are checked on the
 * HTTP surface; the instance is a scratch database on the local PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serviceSkip } from '../../source/helpers.js';
import { assertCors, curl, curlGet, follow, psql, startPaasServer, type Domain, type PaasServer } from './paas-fixture.js';

const skip = await serviceSkip('PostgreSQL', 5432);

const SEED_HOST = 'https://dbaas.oraclecloud.com';
const SEED_START = `curl -i -X POST -u serviceadmin:Pa55_word -H "X-ID-TENANT-NAME:usexample" -H "Content-Type:application/json" -d '{ }' https://dbaas.oraclecloud.com/paas/service/dbcs/api/v1.1/instances/usexample/db12c/backups`;

const USER = 'serviceadmin:Pa55_word';
const DBCS_DATE = /^\d{2}-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{4} \d{2}:\d{2}:\d{2} UTC$/;
const TAG = /^TAG\d{8}T\d{6}$/;

const escape = (s: string): string => s.replace(/[.]/g, '\\.');

describe('Oracle DBCS backups (seed 001) through curl', { skip }, () => {
  let srv: PaasServer;
  let domain: Domain;
  let database = '';
  let instances = '';
  const post = (path: string, body: string): ReturnType<typeof curl> =>
    curl(`curl -s -i -X POST -u ${USER} -H "X-ID-TENANT-NAME:usexample" -H "Content-Type:application/json" -d '${body}' ${instances}/${path}`);
  const jobDone = (location: string): ReturnType<typeof follow> =>
    follow(location, USER, 'usexample', (j) => j.job_status, (s) => s === 'Succeeded' || s === 'Failed');
  const backupList = async (): Promise<any[]> => JSON.parse((await curlGet(`${instances}/db12c/backups`, USER, 'usexample')).body).backupList;

  before(async () => {
    srv = await startPaasServer();
    domain = await srv.domain('usexample', ['usexample'], { serviceadmin: 'Pa55_word' });
    database = (await srv.instance(domain, 'db12c')).database;
    instances = `${srv.url}/paas/service/dbcs/api/v1.1/instances/usexample`;
  });
  after(async () => { await srv?.stop(); });

  it('answers the seed command as Oracle does, and the job reaches Succeeded', async () => {
    const requested = Date.now();
    const answer = await curl(SEED_START.replace(SEED_HOST, srv.url));
    assert.equal(answer.status, 202, answer.body);
    assert.equal(answer.body, '');
    assert.deepEqual(answer.headers['content-length'], ['0']);
    const location = answer.headers['location']?.[0] ?? '';
    assert.match(location, new RegExp(`^${escape(instances)}/status/backup/job/[1-9][0-9]*$`));
    assert.deepEqual(answer.headers['service-uri'], [`${instances}/db12c`]);
    assert.deepEqual(answer.headers['retry-after'], ['60']);
    assert.match(answer.headers['content-type']?.[0] ?? '', /^application\/json/);
    assert.deepEqual(answer.headers['x-frame-options'], ['DENY']);
    assert.deepEqual(answer.headers['content-language'], ['en']);
    assertCors(answer);

    const { json, states } = await jobDone(location);
    assert.equal(json.job_status, 'Succeeded', JSON.stringify(json));
    assert.ok(states.every((s) => ['InProgress', 'Succeeded'].includes(s)), states.join(' → '));
    assert.equal(json.job_operation, 'backup');
    assert.equal(json.service_name, 'db12c');
    assert.equal(json.identity_domain, 'usexample');
    assert.equal(json.service_uri, `${instances}/db12c`);
    assert.equal(json.job_id, Number(/([0-9]+)$/.exec(location)![1]));
    assert.deepEqual(json.job_request_params, { keepForever: 'false' });

    const list = await backupList();
    assert.equal(list.length, 1);
    assert.equal(list[0].status, 'COMPLETED');
    assert.match(list[0].dbTag, TAG);
    assert.match(list[0].backupCompleteDate, DBCS_DATE);
    assert.match(list[0].backupStartDate, DBCS_DATE);
    assert.equal(list[0].keepForever, false);
    const t = /^TAG(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)$/.exec(list[0].dbTag)!.slice(1).map(Number);
    const tagTime = Date.UTC(t[0]!, t[1]! - 1, t[2]!, t[3]!, t[4]!, t[5]!);
    assert.ok(Math.abs(tagTime - requested) < 5000, `tag ${list[0].dbTag} is the request time`);
  });

  it('keeps a keepForever backup forever (unknown fields ignored) under its own tag', async () => {
    const answer = await post('db12c/backups', '{"keepForever":true,"backupTag":"ignored"}');
    assert.equal(answer.status, 202, answer.body);
    assert.equal((await jobDone(answer.headers['location']![0]!)).json.job_status, 'Succeeded');
    const list = await backupList();
    assert.equal(list.length, 2);
    assert.notEqual(list[0].dbTag, list[1].dbTag);
    assert.deepEqual(list.map((b) => b.keepForever).sort(), [false, true]);
    const native = (await srv.call('GET', '/v1/backups', undefined, domain.token)).json.items;
    assert.equal(native.filter((b: any) => b.keepForever).length, 1);
  });

  it('recovers the latest backup ("true" as a string too), 202 with Location, and lists it in the history', async () => {
    await psql(database, "INSERT INTO orders (note) VALUES ('after the backup')");
    const answer = await post('db12c/backups/recovery', '{"latest":"true"}');
    assert.equal(answer.status, 202, answer.body);
    assert.equal(answer.body, '');
    const location = answer.headers['location']?.[0] ?? '';
    assert.match(location, new RegExp(`^${escape(instances)}/status/recovery/job/[1-9][0-9]*$`));
    assert.deepEqual(answer.headers['service-uri'], [`${instances}/db12c`]);
    const { json } = await jobDone(location);
    assert.equal(json.job_status, 'Succeeded', JSON.stringify(json));
    assert.equal(json.job_operation, 'recovery');
    assert.deepEqual(json.job_request_params, { latest: 'true' });
    assert.equal((await psql(database, 'SELECT count(*) FROM orders')).trim(), '500');
    // The backup job's number is not a recovery job.
    assert.equal((await curlGet(location.replace('/status/recovery/', '/status/backup/'), USER, 'usexample')).status, 404);

    const history = JSON.parse((await curlGet(`${instances}/db12c/backups/recovery/history`, USER, 'usexample')).body).recoveryList;
    assert.equal(history.length, 1);
    assert.equal(history[0].latest, true);
    assert.equal(history[0].status, 'COMPLETED');
    assert.match(history[0].recoveryStartDate, DBCS_DATE);
    assert.match(history[0].recoveryCompleteDate, DBCS_DATE);
  });

  it('recovers by tag; the history lists it first', async () => {
    const [oldest] = (await backupList()).sort((a, b) => a.dbTag.localeCompare(b.dbTag));
    const answer = await post('db12c/backups/recovery', JSON.stringify({ tag: oldest.dbTag }));
    assert.equal(answer.status, 202, answer.body);
    const { json } = await jobDone(answer.headers['location']![0]!);
    assert.equal(json.job_status, 'Succeeded', JSON.stringify(json));
    assert.deepEqual(json.job_request_params, { tag: oldest.dbTag });
    const history = JSON.parse((await curlGet(`${instances}/db12c/backups/recovery/history`, USER, 'usexample')).body).recoveryList;
    assert.deepEqual(history.map((h: any) => h.dbTag ?? 'latest'), [oldest.dbTag, 'latest']);
  });

  it('refuses recovery bodies it cannot serve, queuing nothing', async () => {
    const jobs = async (): Promise<number> => (await srv.call('GET', '/v1/jobs?limit=1000', undefined, domain.token)).json.items.length;
    const before_ = await jobs();
    const cases: [string, number, RegExp][] = [
      ['{"scn":"123456"}', 400, /SCN/],
      ['{"latest":true,"tag":"TAG20160727T190236"}', 400, /exactly one/],
      ['{}', 400, /exactly one/],
      ['{"timestamp":"2016-07-27 19:20:26"}', 400, /dd-MMM-yyyy/],
      ['{"timestamp":"31-Feb-2016 19:20:26"}', 400, /not a valid/],
      ['{"tag":"TAG19990101T000000"}', 404, /backup/i],
      ['{"timestamp":"01-Jan-2000 00:00:00"}', 404, /backup/i],
    ];
    for (const [body, status, message] of cases) {
      const answer = await post('db12c/backups/recovery', body);
      assert.equal(answer.status, status, `${body}: ${answer.body}`);
      assert.match(JSON.parse(answer.body).details.message, message, body);
    }
    assert.equal(await jobs(), before_);
  });
});
