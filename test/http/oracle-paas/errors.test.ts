/**
 * The refusals of the Oracle PaaS dialect, through curl: a wrong password, a
 * missing or mismatched X-ID-TENANT-NAME, an unknown domain or no credentials
 * are 401; another domain's instance is 404; a body that is not JSON is 400;
 * a second backup or a snapshot while a backup of the instance runs is 409
 * (the running one held by a table lock its pg_dump waits for). Each answer
 * is JSON stating the reason, carries the CORS headers, and leaves no job,
 * backup or repository file behind. Also: the OPTIONS preflight and an
 * unknown path.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { serviceSkip } from '../../source/helpers.js';
import {
  assertCors, curl, follow, PG, repositoryFiles, startPaasServer, type CurlAnswer, type Domain, type PaasServer,
} from './paas-fixture.js';

const skip = await serviceSkip('PostgreSQL', 5432);

const USER = 'serviceadmin:Pa55_word';

describe('Oracle PaaS refusals', { skip }, () => {
  let srv: PaasServer;
  let usexample: Domain;
  let other: Domain;
  let database = '';
  let dbcs = '';
  let mgmt = '';
  before(async () => {
    srv = await startPaasServer();
    usexample = await srv.domain('usexample', ['usexample'], { serviceadmin: 'Pa55_word' });
    other = await srv.domain('otherdomain', ['otherdomain'], { otheradmin: 'Other_pa55' });
    database = (await srv.instance(usexample, 'db12c')).database;
    await srv.instance(other, 'otherdb');
    dbcs = `${srv.url}/paas/service/dbcs/api/v1.1/instances`;
    mgmt = `${srv.url}/paas/api/v1.1/instancemgmt`;
  });
  after(async () => { await srv?.stop(); });

  /** Jobs and backups of both tenants, and the repository files: what no refused request may change. */
  const state = async (): Promise<unknown> => {
    const count = async (d: Domain, what: string): Promise<number> => (await srv.call('GET', `/v1/${what}?limit=1000`, undefined, d.token)).json.items.length;
    return {
      jobs: [await count(usexample, 'jobs'), await count(other, 'jobs')],
      backups: [await count(usexample, 'backups'), await count(other, 'backups')],
      files: repositoryFiles(srv.dataDir),
    };
  };

  const refused = (answer: CurlAnswer, status: number, message: RegExp): void => {
    assert.equal(answer.status, status, answer.body);
    assertCors(answer);
    assert.match(answer.headers['content-type']?.[0] ?? '', /^application\/json/);
    const body = JSON.parse(answer.body);
    assert.equal(body.status, 'Failed');
    assert.match(body.details.message, message);
  };

  it('answers 401 for a wrong password, a wrong or missing domain header, an unknown domain or no credentials', async () => {
    const before_ = await state();
    const backups = `${dbcs}/usexample/db12c/backups`;
    const cases: [string, string][] = [
      ['wrong password', `curl -s -i -X POST -u serviceadmin:wrong_password -H "X-ID-TENANT-NAME:usexample" -H "Content-Type:application/json" -d '{ }' ${backups}`],
      ['header names another domain', `curl -s -i -X POST -u ${USER} -H "X-ID-TENANT-NAME:otherdomain" -H "Content-Type:application/json" -d '{ }' ${backups}`],
      ['no domain header', `curl -s -i -X POST -u ${USER} -H "Content-Type:application/json" -d '{ }' ${backups}`],
      ['unknown domain', `curl -s -i -X POST -u ${USER} -H "X-ID-TENANT-NAME:nosuchdomain" -H "Content-Type:application/json" -d '{ }' ${dbcs}/nosuchdomain/db12c/backups`],
      ['user of another domain', `curl -s -i -X POST -u otheradmin:Other_pa55 -H "X-ID-TENANT-NAME:usexample" -H "Content-Type:application/json" -d '{ }' ${backups}`],
      ['no credentials', `curl -s -i -X POST -H "X-ID-TENANT-NAME:usexample" -H "Content-Type:application/json" -d '{ }' ${backups}`],
      ['snapshot, wrong password', `curl -s -i -X POST -u serviceadmin:wrong_password -H "X-ID-TENANT-NAME:usexample" -H "Content-Type: application/json" -d '{"name":"s1"}' ${mgmt}/usexample/services/dbaas/instances/db12c/snapshots`],
    ];
    for (const [what, command] of cases) {
      const answer = await curl(command);
      refused(answer, 401, /Authentication failed/);
      assert.deepEqual(answer.headers['www-authenticate'], ['Basic realm="Oracle PaaS"'], what);
    }
    assert.deepEqual(await state(), before_);
  });

  it("answers 404 for another domain's instance, 400 for a body that is not JSON", async () => {
    const before_ = await state();
    const auth = `-u ${USER} -H "X-ID-TENANT-NAME:usexample" -H "Content-Type:application/json"`;
    refused(await curl(`curl -s -i -X POST ${auth} -d '{ }' ${dbcs}/usexample/otherdb/backups`), 404, /no service instance otherdb/);
    refused(await curl(`curl -s -i ${auth} ${dbcs}/usexample/otherdb/backups`), 404, /otherdb/);
    refused(await curl(`curl -s -i -X POST ${auth} -d '{"name":"s1"}' ${mgmt}/usexample/services/dbaas/instances/otherdb/snapshots`), 404, /otherdb/);
    refused(await curl(`curl -s -i -X POST ${auth} -d '{ not json' ${dbcs}/usexample/db12c/backups`), 400, /not valid JSON/);
    refused(await curl(`curl -s -i -X POST ${auth} -d 'name=s1' ${mgmt}/usexample/services/dbaas/instances/db12c/snapshots`), 400, /not valid JSON/);
    refused(await curl(`curl -s -i -X POST ${auth} -d '{"keepForever":"maybe"}' ${dbcs}/usexample/db12c/backups`), 400, /keepForever/);
    assert.deepEqual(await state(), before_);
  });

  it('answers 409 to a second backup or a snapshot while a backup of the instance runs, creating nothing more', async () => {
    const lock = holdTableLock(database);
    try {
      await lock.locked;
      const first = await curl(`curl -s -i -X POST -u ${USER} -H "X-ID-TENANT-NAME:usexample" -H "Content-Type:application/json" -d '{ }' ${dbcs}/usexample/db12c/backups`);
      assert.equal(first.status, 202, first.body);
      const location = first.headers['location']![0]!;
      const before_ = await state();
      const second = await curl(`curl -s -i -X POST -u ${USER} -H "X-ID-TENANT-NAME:usexample" -H "Content-Type:application/json" -d '{ }' ${dbcs}/usexample/db12c/backups`);
      refused(second, 409, /Another operation is in progress/);
      const snapshot = await curl(`curl -s -i -X POST -u ${USER} -H "X-ID-TENANT-NAME:usexample" -H "Content-Type: application/json" -d '{"name":"during"}' ${mgmt}/usexample/services/dbaas/instances/db12c/snapshots`);
      refused(snapshot, 409, /Another operation is in progress/);
      const recovery = await curl(`curl -s -i -X POST -u ${USER} -H "X-ID-TENANT-NAME:usexample" -H "Content-Type:application/json" -d '{"latest":true}' ${dbcs}/usexample/db12c/backups/recovery`);
      assert.ok([404, 409].includes(recovery.status), recovery.body);
      assert.deepEqual(await state(), before_);
      const job = JSON.parse((await curl(`curl -s -i -u ${USER} -H "X-ID-TENANT-NAME:usexample" ${location}`)).body);
      assert.equal(job.job_status, 'InProgress');
      lock.release();
      const { json } = await follow(location, USER, 'usexample', (j) => j.job_status, (s) => s !== 'InProgress');
      assert.equal(json.job_status, 'Succeeded', JSON.stringify(json));
    } finally {
      lock.release();
    }
  });

  it('answers an OPTIONS preflight without credentials, and an unknown path with a JSON 404', async () => {
    const preflight = await curl(`curl -s -i -X OPTIONS -H "Origin: https://console.example.com" -H "Access-Control-Request-Method: POST" ${dbcs}/usexample/db12c/backups`);
    assert.equal(preflight.status, 204, preflight.body);
    assertCors(preflight);
    refused(await curl(`curl -s -i -u ${USER} -H "X-ID-TENANT-NAME:usexample" ${srv.url}/paas/api/v1.1/nothing/here`), 404, /No such resource/);
  });
});

/** A psql session holding ACCESS EXCLUSIVE on the instance's table until released: pg_dump waits for it. */
function holdTableLock(database: string): { locked: Promise<void>; release: () => void } {
  const child: ChildProcess = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', `${PG}/${database}`], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin!.write("BEGIN; LOCK TABLE orders IN ACCESS EXCLUSIVE MODE; SELECT 'locked';\n");
  const locked = new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('locked')) resolve();
    });
    child.once('exit', () => reject(new Error('psql ended before taking the lock')));
  });
  let released = false;
  return {
    locked,
    release: () => {
      if (released) return;
      released = true;
      child.stdin!.end('COMMIT;\n');
    },
  };
}
