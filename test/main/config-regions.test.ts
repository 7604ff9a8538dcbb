/** The `server.region` and `server.regions` keys of the config file, and the server's check of region directories. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/main/config.js';
import { startServer } from '../../src/main/serve.js';
import { openFor } from '../http/open-catalog.js';
import { tempDir, tokenFile, writeConfig } from './config-file.js';

describe('config: regions', () => {
  const dir = tempDir('regions');
  after(() => rmSync(dir, { recursive: true, force: true }));
  const parse = (yaml: string) => parseConfig(yaml, join(dir, 'holdfast.yaml')).server;
  const refused = (yaml: string, pattern: RegExp) => assert.throws(() => parse(yaml), (err: { code?: string; message: string }) => {
    assert.equal(err.code, 'INVALID_ARGUMENT');
    assert.match(err.message, pattern);
    return true;
  });

  it('reads the home region and the other regions, their data directories relative to the file', () => {
    const server = parse('server:\n  region: us-ashburn-1\n  regions:\n    eu-frankfurt-1: {dataDir: fra}\n    uk-london-1:\n      dataDir: /srv/lhr\n');
    assert.equal(server.region, 'us-ashburn-1');
    assert.deepEqual(server.regions, { 'eu-frankfurt-1': { dataDir: join(dir, 'fra') }, 'uk-london-1': { dataDir: '/srv/lhr' } });
    assert.deepEqual(parse('server: {port: 1}\n'), { port: 1 }, 'no region keys, none in the settings');
  });

  it('refuses unknown keys, bad names, a missing dataDir and another region named like the home one', () => {
    refused('server:\n  regions:\n    eu-frankfurt-1: {dataDir: fra, bucket: x}\n', /server\.regions\.eu-frankfurt-1\.bucket \(line 3\): unknown key "bucket"/);
    refused('server:\n  regions:\n    eu-frankfurt-1: {}\n', /"dataDir" is required/);
    refused('server:\n  regions:\n    Bad Name: {dataDir: x}\n', /a region name must be/);
    refused('server:\n  region: "-x"\n', /server\.region .*a region name must be/);
    refused('server:\n  regions:\n    local: {dataDir: x}\n', /"local" is the home region/);
    refused('server:\n  region: home-1\n  regions:\n    home-1: {dataDir: x}\n', /"home-1" is the home region/);
    refused('server:\n  regions: [a]\n', /server\.regions .*must be a mapping/);
  });

  it('refuses a region whose data directory is the home one, before opening anything', async () => {
    const data = join(dir, 'data');
    await assert.rejects(
      startServer({ dataDir: data, host: '127.0.0.1', port: 0, logger: false, say: () => undefined, regions: { 'eu-frankfurt-1': { dataDir: `${data}/` } } }),
      (err: { code?: string; message: string }) => err.code === 'INVALID_ARGUMENT' && /home data directory/.test(err.message),
    );
    assert.equal(existsSync(data), false, 'the data directory was not even made');
  });

  it('stores a declared policy\'s copyToRegion, and refuses one that is not a configured region', async () => {
    const token = tokenFile(dir, 'policy-token');
    const declare = (region: string, data: string): string => writeConfig(dir, `tenants:
  - name: acme
    credentials:
      - {kind: token, name: ci, role: admin, tokenFile: ${token.file}}
resources:
  - {tenant: acme, name: docs, driver: volume, config: {path: ${dir}}}
policies:
  - {tenant: acme, name: dr, resources: [docs], schedule: "0 2 * * *", copyToRegion: ${region}}
`, `${data}.yaml`);
    const regions = { 'eu-frankfurt-1': { dataDir: join(dir, 'fra') } };
    const data = join(dir, 'data-policy');
    const server = await startServer({ dataDir: data, host: '127.0.0.1', port: 0, logger: false, regions, configFile: declare('eu-frankfurt-1', 'good'), say: () => undefined });
    await server.stop();
    const { catalog } = await openFor(data);
    try {
      const tenant = await catalog.tenants.getByName('acme');
      assert.equal((await catalog.policies.getByName(tenant!.id, 'dr'))?.copyToRegion, 'eu-frankfurt-1');
    } finally {
      await catalog.close();
    }
    await assert.rejects(
      startServer({ dataDir: join(dir, 'data-bad'), host: '127.0.0.1', port: 0, logger: false, regions, configFile: declare('mars-1', 'bad'), say: () => undefined }),
      (err: { message: string }) => /unknown region "mars-1"/.test(err.message),
    );
  });
});
