/**
 * The service end to end over real HTTP on loopback: a fresh data directory,
 * the admin token from the first start, a directory resource backed up through
 * /v1, changed, restored into a new path and compared; restic checks the
 * tenant's repository. Also the auth and error answers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/main/serve.js';

const RESTIC = '/usr/bin/restic';

describe('native API', () => {
  let dir: string;
  let server: RunningServer;
  let token = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'holdfast-api-'));
    server = await startServer({ dataDir: join(dir, 'data'), host: '127.0.0.1', port: 0, logger: false, say: (line) => { token = /token[^:]*: (\S+)/.exec(line)?.[1] ?? token; } });
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, body?: unknown, auth = true): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { ...(auth ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
  };

  const waitForJob = async (id: string): Promise<any> => {
    for (let i = 0; i < 600; i++) {
      const { json } = await call('GET', `/v1/jobs/${id}`);
      if (['SUCCEEDED', 'FAILED', 'CANCELED'].includes(json.state)) return json;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`job ${id} did not finish`);
  };

  it('prints an admin token on the first start', () => {
    assert.match(token, /^hf_/);
    assert.ok(existsSync(join(dir, 'data', 'catalog.db')));
  });

  it('backs up a directory and restores it byte for byte into a new path', async () => {
    const src = join(dir, 'src');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'a.txt'), 'alpha\n');
    writeFileSync(join(src, 'sub', 'b.bin'), Buffer.alloc(300_000, 7));
    const created = await call('POST', '/v1/resources', { name: 'docs', driver: 'volume', config: { path: src } });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const backup = await call('POST', '/v1/backups', { resourceId: created.json.id, type: 'FULL' });
    assert.equal(backup.status, 202, JSON.stringify(backup.json));
    const job = await waitForJob(backup.json.job.id);
    assert.equal(job.state, 'SUCCEEDED', JSON.stringify(job.error));
    const stored = await call('GET', `/v1/backups/${backup.json.id}`);
    assert.equal(stored.json.state, 'AVAILABLE');
    assert.equal(stored.json.snapshotIds.length, 1);

    writeFileSync(join(src, 'a.txt'), 'changed\n');
    const target = join(dir, 'restored');
    const restore = await call('POST', `/v1/backups/${backup.json.id}/restore`, { target: { path: target } });
    assert.equal(restore.status, 202, JSON.stringify(restore.json));
    const restored = await waitForJob(restore.json.id);
    assert.equal(restored.state, 'SUCCEEDED', JSON.stringify(restored.error));
    assert.equal(readFileSync(join(target, 'a.txt'), 'utf8'), 'alpha\n');
    assert.deepEqual(readFileSync(join(target, 'sub', 'b.bin')), Buffer.alloc(300_000, 7));
  });

  it('leaves a repository restic checks clean', { skip: !existsSync(RESTIC) && 'restic is not installed' }, async () => {
    const repos = join(dir, 'data', 'repos');
    const { catalog } = await import('./open-catalog.js').then((m) => m.openFor(join(dir, 'data')));
    try {
      const rows = await catalog.repositories.list();
      assert.equal(rows.length, 1);
      const { decryptSecret, parseMasterKey } = await import('../../src/app/secrets.js');
      const password = decryptSecret(parseMasterKey(readFileSync(join(dir, 'data', 'master.key'), 'utf8')), rows[0]!.passwordCiphertext);
      const out = execFileSync(RESTIC, ['-r', rows[0]!.location, 'check', '--read-data'], { env: { ...process.env, RESTIC_PASSWORD: password }, encoding: 'utf8' });
      assert.match(out, /no errors were found/);
      assert.ok(rows[0]!.location.startsWith(repos));
    } finally {
      await catalog.close();
    }
  });

  it('answers 401 without a token and 404 for unknown ids, in the error format', async () => {
    const anon = await call('GET', '/v1/resources', undefined, false);
    assert.equal(anon.status, 401);
    assert.equal(anon.json.code, 'UNAUTHENTICATED');
    const wrong = await fetch(`${server.url}/v1/resources`, { headers: { authorization: 'Bearer hf_xxxxxxxxxxxx_yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy' } });
    assert.equal(wrong.status, 401);
    const missing = await call('GET', '/v1/backups/bak_nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.code, 'NOT_FOUND');
    const bad = await call('POST', '/v1/resources', { name: '', driver: 'volume', config: {} });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.code, 'INVALID_ARGUMENT');
  });
});
