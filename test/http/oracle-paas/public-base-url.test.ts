/**
 * The public base URL of Location and Service-URI: `server.publicBaseUrl` of
 * the config file (checked when the file is read), else the request's
 * protocol and Host header. The seed's backup command is run with curl
 * against a server told it lives at https://dbaas.example.com:443, and
 * against one that is not, with and without a Host header of its own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isHoldfastError } from '../../../src/common/errors.js';
import { parseConfig } from '../../../src/main/config.js';
import { serviceSkip } from '../../source/helpers.js';
import { curl, curlGet, follow, startPaasServer, type PaasServer } from './paas-fixture.js';

const skip = await serviceSkip('PostgreSQL', 5432);

const START = (url: string, extra = ''): string =>
  `curl -i -X POST -u serviceadmin:Pa55_word -H "X-ID-TENANT-NAME:usexample" -H "Content-Type:application/json" ${extra} -d '{ }' ${url}/paas/service/dbcs/api/v1.1/instances/usexample/db12c/backups`;

describe('server.publicBaseUrl in the config file', () => {
  const serverOf = (value: string): unknown => parseConfig(`server:\n  publicBaseUrl: ${JSON.stringify(value)}\n`, '/etc/holdfast/holdfast.yaml').server;

  it('keeps the URL as written, without a trailing slash', () => {
    assert.deepEqual(serverOf('https://dbaas.example.com:443/'), { publicBaseUrl: 'https://dbaas.example.com:443' });
    assert.deepEqual(serverOf('http://10.0.0.5:8080/backup'), { publicBaseUrl: 'http://10.0.0.5:8080/backup' });
  });

  it('refuses what is not a plain http(s) base URL, naming the key', () => {
    for (const bad of ['ftp://dbaas.example.com', 'dbaas.example.com', 'https://dbaas.example.com/?x=1', 'https://user:pw@dbaas.example.com', 'https://exa mple.com']) {
      assert.throws(() => serverOf(bad), (err: unknown) => isHoldfastError(err, 'INVALID_ARGUMENT') && /server\.publicBaseUrl/.test(err.message), bad);
    }
  });
});

describe('Location and Service-URI', { skip }, () => {
  let behind: PaasServer;
  let direct: PaasServer;
  before(async () => {
    behind = await startPaasServer({ publicBaseUrl: 'https://dbaas.example.com:443' });
    direct = await startPaasServer();
    for (const srv of [behind, direct]) await srv.instance(await srv.domain('usexample', ['usexample'], { serviceadmin: 'Pa55_word' }), 'db12c');
  });
  after(async () => {
    await behind?.stop();
    await direct?.stop();
  });

  /** Follows Location (sent to the server itself) to the end; the job's service_uri has the base that request earns. */
  const finish = async (srv: PaasServer, location: string, publicBase: string, statusBase: string): Promise<void> => {
    const { json } = await follow(location.replace(publicBase, srv.url), 'serviceadmin:Pa55_word', 'usexample', (j) => j.job_status, (s) => s !== 'InProgress');
    assert.equal(json.job_status, 'Succeeded', JSON.stringify(json));
    assert.equal(json.service_uri, `${statusBase}/paas/service/dbcs/api/v1.1/instances/usexample/db12c`);
  };

  it('uses the configured public base URL whatever the request says', async () => {
    const answer = await curl(START(behind.url, '-H "Host: internal.local:9999"'));
    assert.equal(answer.status, 202, answer.body);
    assert.match(answer.headers['location']![0]!, /^https:\/\/dbaas\.example\.com:443\/paas\/service\/dbcs\/api\/v1\.1\/instances\/usexample\/status\/backup\/job\/[0-9]+$/);
    assert.deepEqual(answer.headers['service-uri'], ['https://dbaas.example.com:443/paas/service/dbcs/api/v1.1/instances/usexample/db12c']);
    await finish(behind, answer.headers['location']![0]!, 'https://dbaas.example.com:443', 'https://dbaas.example.com:443');
  });

  it("without one, takes the request's protocol and Host", async () => {
    const own = await curl(START(direct.url));
    assert.equal(own.status, 202, own.body);
    assert.ok(own.headers['location']![0]!.startsWith(`${direct.url}/paas/service/dbcs/api/v1.1/instances/usexample/status/backup/job/`));
    await finish(direct, own.headers['location']![0]!, direct.url, direct.url);
    const service = await curlGet(own.headers['service-uri']![0]!, 'serviceadmin:Pa55_word', 'usexample');
    assert.equal(service.status, 200, service.body);
    const view = JSON.parse(service.body);
    assert.equal(view.service_name, 'db12c');
    assert.equal(view.identity_domain, 'usexample');
    assert.equal(view.service_uri, own.headers['service-uri']![0]);
    const named = await curl(START(direct.url, '-H "Host: dbaas.oraclecloud.com:443"'));
    assert.equal(named.status, 202, named.body);
    assert.match(named.headers['location']![0]!, /^http:\/\/dbaas\.oraclecloud\.com:443\/paas\/service\/dbcs\/api\/v1\.1\/instances\/usexample\/status\/backup\/job\/[0-9]+$/);
    assert.deepEqual(named.headers['service-uri'], ['http://dbaas.oraclecloud.com:443/paas/service/dbcs/api/v1.1/instances/usexample/db12c']);
    await finish(direct, named.headers['location']![0]!, 'http://dbaas.oraclecloud.com:443', direct.url);
  });
});
