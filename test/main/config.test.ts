/**
 * The config file: parse and check errors that name the key path and line;
 * applying it through a real server (created, updated, removed by name, API
 * objects left alone, all-or-nothing); and SIGHUP to a real
 * `bin/holdfast serve --config F` process re-reading it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isHoldfastError } from '../../src/common/errors.js';
import { parseConfig, withFileSettings } from '../../src/main/config.js';
import { startServer, type RunningServer } from '../../src/main/serve.js';
import { openFor } from '../http/open-catalog.js';
import { get, tempDir, tokenFile, writeConfig } from './config-file.js';

const root = join(fileURLToPath(import.meta.url), '../../../..');

describe('config file checks', () => {
  let dir: string;
  before(() => { dir = tempDir('config-parse'); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const rejects = (yaml: string, pattern: RegExp): void => {
    const file = writeConfig(dir, yaml, 'bad.yaml');
    assert.throws(() => parseConfig(yaml, file), (err: unknown) => {
      assert.ok(isHoldfastError(err, 'INVALID_ARGUMENT'), String(err));
      assert.match(err.message, pattern);
      assert.ok(err.message.startsWith(file), err.message);
      return true;
    });
  };

  it('names an unknown key with its path and line', () => {
    rejects('tenants:\n  - name: acme\n    credentails: []\n', /tenants\[0\]\.credentails \(line 3\): unknown key "credentails" \(allowed: name, aliases, credentials\)/);
    rejects('server:\n  port: 8080\n  listen: x\n', /server\.listen \(line 3\): unknown key/);
    rejects('tenant: []\n', /tenant \(line 1\): unknown key "tenant"/);
    rejects('policies:\n  - {tenant: a, name: p, resources: [r], schedule: "0 * * * *", retention: {keepForever: 1}}\n', /policies\[0\]\.retention\.keepForever \(line 2\).*allowed: keepLast/);
  });

  it('reports YAML syntax errors with their line', () => {
    rejects('tenants:\n  - name: [acme\nresources: []\n', /\(line 3, column 1\): not valid YAML/);
    rejects('tenants: []\ntenants: []\n', /line 2.*not valid YAML/);
  });

  it('checks values: types, names, cron, time zone, retention, drivers, ports', () => {
    rejects('server:\n  port: 70000\n', /server\.port \(line 2\): must be a whole number from 0 to 65535/);
    rejects('tenants:\n  - name: "bad name"\n', /tenants\[0\]\.name \(line 2\): a tenant name must be/);
    rejects('tenants:\n  - name: a\n    aliases: {azureTenant: x}\n', /tenants\[0\]\.aliases\.azureTenant \(line 3\).*allowed: identityDomain/);
    rejects('policies:\n  - {tenant: a, name: p, resources: [r], schedule: "61 * * * *"}\n', /policies\[0\] \(line 2\): not a valid schedule "61 \* \* \* \*"/);
    rejects('policies:\n  - {tenant: a, name: p, resources: [r], schedule: "0 * * * *", timezone: Mars/Olympus}\n', /policies\[0\].*time zone "Mars\/Olympus"/);
    rejects('policies:\n  - {tenant: a, name: p, resources: [r], schedule: "0 * * * *", retention: {keepWithin: 3w}}\n', /policies\[0\].*keepWithin: invalid duration/);
    rejects('policies:\n  - {tenant: a, name: p, resources: [], schedule: "0 * * * *"}\n', /policies\[0\]\.resources \(line 2\): must name at least one resource/);
    rejects('policies:\n  - {tenant: a, name: p, schedule: "0 * * * *"}\n', /policies\[0\] \(line 2\): "resources" is required/);
    rejects('resources:\n  - {tenant: a, name: r, driver: tape, config: {}}\n', /resources\[0\]\.driver \(line 2\): unknown source driver "tape"/);
    rejects('resources:\n  - tenant: a\n    name: r\n    driver: volume\n    config: {}\n', /resources\[0\]\.config \(line 5\):/);
  });

  it('never takes a secret inline, and refuses secret files others can read', () => {
    const open = tokenFile(dir, 'open-token', 0o644);
    rejects(`tenants:\n  - name: a\n    credentials:\n      - {kind: token, name: ci, tokenFile: ${open.file}}\n`,
      /tenants\[0\]\.credentials\[0\]\.tokenFile \(line 4\): .*open-token is readable or writable by group or others \(mode 0644\).*chmod 600/);
    const junk = writeConfig(dir, 'not a token\n', 'junk-token');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    rejects(`tenants:\n  - name: a\n    credentials:\n      - {kind: token, name: ci, tokenFile: ${junk}}\n`, /readable or writable by group or others/);
    rejects('tenants:\n  - name: a\n    credentials:\n      - {kind: token, name: ci, token: hf_x}\n', /credentials\[0\]\.token \(line 4\): unknown key "token"/);
    rejects('tenants:\n  - name: a\n    credentials:\n      - {kind: token, name: ci, tokenId: abcdefghijkl}\n', /either by tokenFile, or by tokenId and tokenSha256/);
    rejects('tenants:\n  - name: a\n    credentials:\n      - {kind: token, name: ci, tokenFile: missing}\n', /tokenFile \(line 4\): .*missing does not exist/);
    rejects('server:\n  masterKeyFile: sub\n', /server\.masterKeyFile \(line 2\): .*sub is not a regular file/);
    rejects('server:\n  tlsCertFile: cert.pem\n', /server \(line 2\): tlsCertFile and tlsKeyFile go together/);
    rejects(`server:\n  tlsCertFile: ${junk}\n  tlsKeyFile: ${open.file}\n`, /server\.tlsKeyFile \(line 3\): .*readable or writable by group or others/);
  });

  it('rejects names declared twice', () => {
    const t = tokenFile(dir, 'tok-dup');
    rejects('tenants:\n  - name: a\n  - name: a\n', /tenants\[1\]\.name \(line 3\): tenant a is declared twice \(also at tenants\[0\]\.name\)/);
    rejects(`tenants:\n  - name: a\n    credentials:\n      - {kind: token, name: x, tokenFile: ${t.file}}\n  - name: b\n    credentials:\n      - {kind: token, name: y, tokenFile: ${t.file}}\n`,
      /tenants\[1\]\.credentials\[0\] \(line 7\): token id .* is declared twice/);
  });

  it('lets command-line flags override the file, and the file the flags\' defaults', () => {
    const flags = { dataDir: './holdfast-data', host: '127.0.0.1', port: 8080 };
    const file = { dataDir: '/var/lib/holdfast', host: '0.0.0.0', port: 9000 };
    assert.deepEqual(withFileSettings({ ...flags, given: [] }, file), file);
    assert.deepEqual(withFileSettings({ ...flags, port: 7000, given: ['port'] }, file), { ...file, port: 7000 });
    assert.deepEqual(withFileSettings({ ...flags, given: [] }, {}), flags);
  });

  it('accepts a full example and resolves paths next to the file', () => {
    const t = tokenFile(dir, 'tok-full');
    const yaml = `server: {host: 0.0.0.0, port: 9000, dataDir: data}
tenants:
  - name: acme
    aliases: {identityDomain: [acme, idcs-1], otcProject: 0b1f2c3d4e5f60718293a4b5c6d7e8f9}
    credentials:
      - {kind: token, name: ci, role: admin, tokenFile: tok-full}
      - {kind: token, name: ro, tokenId: ${t.lookupId}x, tokenSha256: ${t.hash}}
`;
    rejects(yaml, /tokenId \(line 7\): must be the 12-character id/);
    rejects(yaml.replace(`${t.lookupId}x`, t.lookupId).replace(t.hash, '0'.repeat(64)), /tokenSha256 \(line 7\): must be a string; YAML read 0 as a number: put it in quotes/);
    const good = yaml.replace(`${t.lookupId}x`, t.lookupId).replace(/ro, tokenId: \S+, tokenSha256: \S+\}/, `ro, tokenId: abcdefghijkl, tokenSha256: "${'0'.repeat(64)}"}`);
    const config = parseConfig(good, join(dir, 'full.yaml'));
    assert.deepEqual(config.server, { host: '0.0.0.0', port: 9000, dataDir: join(dir, 'data') });
    const tls = parseConfig('server: {tlsCertFile: tok-full, tlsKeyFile: tok-full}\n', join(dir, 'tls.yaml')).server.tls;
    assert.deepEqual(tls, { cert: `${t.token}\n`, key: t.token });
    assert.deepEqual(config.tenants[0]?.aliases, { identityDomain: ['acme', 'idcs-1'], otcProject: ['0b1f2c3d4e5f60718293a4b5c6d7e8f9'] });
    assert.deepEqual(config.tenants[0]?.credentials.map((c) => [c.name, c.role, c.lookupId, c.secretHash]), [
      ['ci', 'admin', t.lookupId, t.hash], ['ro', 'member', 'abcdefghijkl', '0'.repeat(64)],
    ]);
  });
});

describe('applying the config', () => {
  let dir: string;
  let server: RunningServer;
  let file: string;
  const a = (): ReturnType<typeof tokenFile> => tokens.a!;
  const tokens: Record<string, ReturnType<typeof tokenFile>> = {};

  const configYaml = (o: { acmeTokens: string; docsPath: string; schedule: string; withBeta: boolean; withDocs: boolean; extra?: string }): string => `
tenants:
  - name: acme
    aliases: {otcProject: aaaabbbbccccddddeeeeffff00001111}
    credentials:
${o.acmeTokens}
${o.withBeta ? `  - name: beta\n    credentials:\n      - {kind: token, name: ops, tokenFile: ${tokens.c!.file}}\n` : ''}${o.extra ?? ''}
resources:
${o.withDocs ? `  - {tenant: acme, name: docs, driver: volume, config: {path: ${o.docsPath}}}
  - {tenant: acme, name: db, driver: postgres, config: {url: "postgres://backup@127.0.0.1:5432/app"}, configFiles: {password: ${tokens.pw!.file}}}` : '  []'}
policies:
${o.withDocs ? `  - {tenant: acme, name: nightly, resources: [docs], schedule: "${o.schedule}", retention: {keepLast: 3, expireAfter: 30d}}` : '  []'}
`.replace(/resources:\n {2}\[\]/, 'resources: []').replace(/policies:\n {2}\[\]/, 'policies: []');

  before(async () => {
    dir = tempDir('config-apply');
    for (const name of ['a', 'b', 'c', 'd', 'pw']) tokens[name] = tokenFile(dir, `token-${name}`);
    file = writeConfig(dir, configYaml({ acmeTokens: `      - {kind: token, name: ci, role: admin, tokenFile: ${a().file}}`, docsPath: '/srv/docs', schedule: '0 2 * * *', withBeta: false, withDocs: true }));
    server = await startServer({ dataDir: join(dir, 'data'), host: '127.0.0.1', port: 0, logger: false, configFile: file, say: () => assert.fail('no one-time token with a config') });
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const resources = async (token: string): Promise<{ status: number; names: string[]; items: any[] }> => {
    const r = await get(`${server.url}/v1/resources`, token);
    return { status: r.status, names: (r.json?.items ?? []).map((x: { name: string }) => x.name).sort(), items: r.json?.items ?? [] };
  };

  it('creates the declared tenant, token, resource and policy at start', async () => {
    assert.deepEqual((await resources(a().token)).names, ['db', 'docs']);
    const { catalog } = await openFor(join(dir, 'data'));
    try {
      const tenant = await catalog.tenants.getByName('acme');
      assert.deepEqual(tenant?.aliases, { otcProject: ['aaaabbbbccccddddeeeeffff00001111'] });
      assert.equal((await catalog.tenants.getByName('default')), undefined, 'no default tenant with a config');
      const [policy] = await catalog.policies.list(tenant!.id);
      assert.deepEqual([policy?.name, policy?.schedule, policy?.retention], ['nightly', '0 2 * * *', { keepLast: 3, expireAfter: '30d' }]);
      assert.deepEqual((await catalog.declared.list()).map((d) => `${d.kind} ${d.name}`).sort(), ['credential ci', 'policy nightly', 'resource db', 'resource docs', 'tenant acme']);
    } finally {
      await catalog.close();
    }
  });

  it('never answers a password read from a configFiles file', async () => {
    const listed = await resources(a().token);
    assert.ok(listed.names.includes('db'));
    assert.ok(!JSON.stringify(listed.items).includes(tokens.pw!.token));
  });

  it('updates and removes by name on reload, leaving API-made objects alone', async () => {
    const created = await fetch(`${server.url}/v1/resources`, {
      method: 'POST', headers: { authorization: `Bearer ${a().token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'api-made', driver: 'volume', config: { path: '/srv/api' } }),
    });
    assert.equal(created.status, 201);
    const b = tokens.b!;
    writeConfig(dir, configYaml({
      acmeTokens: `      - {kind: token, name: ci2, role: admin, tokenId: ${b.lookupId}, tokenSha256: ${b.hash}}`, docsPath: '/srv/docs2', schedule: '30 3 * * *', withBeta: true, withDocs: true,
    }));
    assert.equal(await server.reloadConfig(), true);
    assert.equal((await resources(a().token)).status, 401, 'the token no longer declared is gone');
    const now = await resources(b.token);
    assert.deepEqual(now.names, ['api-made', 'db', 'docs']);
    assert.equal(now.items.find((r) => r.name === 'docs').config.path, '/srv/docs2');
    assert.deepEqual((await resources(tokens.c!.token)).names, [], 'a new tenant sees none of acme\'s resources');
    const { catalog } = await openFor(join(dir, 'data'));
    try {
      const acme = (await catalog.tenants.getByName('acme'))!;
      assert.equal((await catalog.policies.getByName(acme.id, 'nightly'))?.schedule, '30 3 * * *');
      const state = async (): Promise<unknown> => [
        (await catalog.credentials.listForTenant(acme.id)).map((x) => x.id),
        (await catalog.resources.list(acme.id, { limit: 100 })).items.map((r) => [r.id, r.updatedAt]),
        (await catalog.policies.list(acme.id)).map((p) => [p.id, p.updatedAt]),
      ];
      const before = await state();
      assert.equal(await server.reloadConfig(), true);
      assert.deepEqual(await state(), before, 'applying the same file again changes nothing');
    } finally {
      await catalog.close();
    }

    writeConfig(dir, configYaml({ acmeTokens: `      - {kind: token, name: ci2, role: admin, tokenFile: ${b.file}}`, docsPath: '', schedule: '', withBeta: false, withDocs: false }));
    assert.equal(await server.reloadConfig(), true);
    assert.deepEqual((await resources(b.token)).names, ['api-made'], 'the declared resource is removed, the API one stays');
    assert.equal((await resources(tokens.c!.token)).status, 401, 'the tenant removed from the file is gone with its token');
    const again = await openFor(join(dir, 'data'));
    try {
      assert.equal(await again.catalog.tenants.getByName('beta'), undefined);
      assert.deepEqual(await again.catalog.policies.list((await again.catalog.tenants.getByName('acme'))!.id), []);
    } finally {
      await again.catalog.close();
    }
  });

  it('keeps the running config when the file is invalid or fails to apply, changing nothing', async () => {
    const b = tokens.b!;
    const good = configYaml({ acmeTokens: `      - {kind: token, name: ci2, role: admin, tokenFile: ${b.file}}`, docsPath: '', schedule: '', withBeta: false, withDocs: false });
    writeConfig(dir, `${good}\nextra: 1\n`);
    assert.equal(await server.reloadConfig(), false);
    assert.equal((await resources(b.token)).status, 200);
    // Valid on its own, but the policy names a resource the tenant lacks: found while applying, after gamma was created.
    const failing = `tenants:
  - name: acme
    credentials:
      - {kind: token, name: ci2, role: admin, tokenFile: ${b.file}}
  - name: gamma
    credentials:
      - {kind: token, name: x, tokenFile: ${tokens.d!.file}}
policies:
  - {tenant: acme, name: p, resources: [nope], schedule: "0 * * * *"}
`;
    assert.doesNotThrow(() => parseConfig(failing, writeConfig(dir, failing)));
    assert.equal(await server.reloadConfig(), false);
    assert.equal((await get(`${server.url}/v1/resources`, tokens.d!.token)).status, 401, 'the tenant of the failed file was rolled back');
    assert.equal((await resources(b.token)).status, 200);
  });
});

describe('a declared policy end to end', () => {
  it('makes SCHEDULED backups that expire, and retention deletes the ones beyond keepLast through delete jobs', async () => {
    const dir = tempDir('config-policy');
    const src = join(dir, 'src');
    mkdirSync(src);
    writeConfig(dir, 'hello\n', 'src/a.txt');
    const tok = tokenFile(dir, 'tok');
    const file = writeConfig(dir, `tenants:
  - name: acme
    credentials: [{kind: token, name: ci, tokenFile: ${tok.file}}]
resources:
  - {tenant: acme, name: docs, driver: volume, config: {path: ${src}}}
policies:
  - {tenant: acme, name: every-second, resources: [docs], schedule: "*/4 * * * * *", retention: {keepLast: 1, expireAfter: 1d}}
`);
    const server = await startServer({ dataDir: join(dir, 'data'), host: '127.0.0.1', port: 0, logger: false, configFile: file, say: () => undefined });
    const { catalog } = await openFor(join(dir, 'data'));
    try {
      const tenant = (await catalog.tenants.getByName('acme'))!;
      const backups = async () => (await catalog.backups.list(tenant.id, {}, { limit: 100 })).items;
      await until('a scheduled backup was deleted by retention', async () => (await backups()).some((b) => b.state === 'DELETED'), 40);
      const all = await backups();
      assert.ok(all.every((b) => b.source === 'SCHEDULED' && b.tags['policy'] === 'every-second'));
      const deleted = all.find((b) => b.state === 'DELETED')!;
      assert.ok(all.some((b) => b.state === 'AVAILABLE' && b.timeRequested > deleted.timeRequested), 'a newer backup is kept');
      const lifetime = Date.parse(deleted.expiresAt!) - Date.parse(deleted.timeRequested);
      assert.ok(Math.abs(lifetime - 86_400_000) < 1000, `expires a day after its tick, not ${lifetime} ms after`);
      const jobs = (await catalog.jobs.list(tenant.id, { kind: 'delete' }, { limit: 100 })).items;
      assert.ok(jobs.some((j) => j.backupId === deleted.id && j.state === 'SUCCEEDED'));
    } finally {
      await catalog.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Starts `bin/holdfast serve --config F` and answers its URL from the log line. */
async function spawnServer(file: string): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(join(root, 'bin/holdfast'), ['serve', '--config', file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  for (let i = 0; i < 200; i++) {
    const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
    if (m !== null) return { child, url: m[1]!, output: () => out };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`the server did not start:\n${out}`);
}

async function until(what: string, check: () => Promise<boolean>, seconds = 10): Promise<void> {
  for (let i = 0; i < seconds * 10; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting until ${what}`);
}

describe('SIGHUP', () => {
  it('makes a running `holdfast serve --config` re-read its file, and ignore an invalid one', async () => {
    const dir = tempDir('config-sighup');
    const [one, two] = [tokenFile(dir, 'one'), tokenFile(dir, 'two')];
    const yaml = (tok: string): string => `server: {host: 127.0.0.1, port: 0, dataDir: data}\ntenants:\n  - name: acme\n    credentials:\n      - {kind: token, name: ci, tokenFile: ${tok}}\n`;
    const file = writeConfig(dir, yaml(one.file));
    const { child, url, output } = await spawnServer(file);
    try {
      assert.equal((await get(`${url}/v1/resources`, one.token)).status, 200);
      assert.equal((await get(`${url}/v1/resources`, two.token)).status, 401);
      writeConfig(dir, yaml(two.file));
      child.kill('SIGHUP');
      await until('the token declared after the reload authenticates', async () => (await get(`${url}/v1/resources`, two.token)).status === 200);
      assert.equal((await get(`${url}/v1/resources`, one.token)).status, 401, 'the removed token no longer does');
      writeConfig(dir, `${yaml(one.file)}    surprise: true\n`);
      child.kill('SIGHUP');
      await until('the invalid file is reported', async () => output().includes('not applied; the running configuration stays'));
      assert.match(output(), /tenants\[0\]\.surprise \(line 6\): unknown key/);
      assert.equal((await get(`${url}/v1/resources`, two.token)).status, 200, 'the old config stays in force');
      assert.equal((await get(`${url}/v1/resources`, one.token)).status, 401);
      assert.ok(!output().includes(one.token) && !output().includes(two.token), 'no token in the log');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
