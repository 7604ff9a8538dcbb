/**
 * HTTPS: a self-signed certificate made at test time with openssl; the server
 * answers over node:https with that certificate as the only CA, and plain HTTP
 * on the same port gets no answer. `holdfast serve --tls-cert --tls-key` is run
 * as a real process; the flags' errors (one without the other, an unreadable
 * file, a file that is no certificate, a key of another certificate) are
 * clear and come before anything is created.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../src/main/serve.js';

const HOLDFAST = fileURLToPath(new URL('../../../bin/holdfast', import.meta.url));
const hasOpenssl = (() => { try { execFileSync('openssl', ['version'], { stdio: 'ignore' }); return true; } catch { return false; } })();

function makeCert(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

/** GET over node:https trusting only `ca`; answers status and body. */
function httpsGet(url: string, ca: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject).end();
  });
}

function httpGet(url: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, (res) => { res.resume(); resolve({ status: res.statusCode ?? 0 }); });
    req.setTimeout(5000, () => req.destroy(new Error('timed out')));
    req.on('error', reject).end();
  });
}

/** Runs `holdfast ARGS` to its end; answers exit code and output. */
function holdfast(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HOLDFAST, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('TLS', { skip: !hasOpenssl && 'openssl is not installed' }, () => {
  let dir: string;
  let pair: { cert: string; key: string };
  let other: { cert: string; key: string };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'holdfast-tls-'));
    pair = makeCert(dir, 'server');
    other = makeCert(dir, 'other');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('serves HTTPS with the given certificate, and plain HTTP on that port gets no answer', async () => {
    let token = '';
    const server = await startServer({
      dataDir: join(dir, 'data'), host: '127.0.0.1', port: 0, logger: false,
      say: (line) => { token = /token[^:]*: (\S+)/.exec(line)?.[1] ?? token; },
      tls: { cert: readFileSync(pair.cert), key: readFileSync(pair.key) },
    });
    try {
      assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = readFileSync(pair.cert);
      const health = await httpsGet(`${server.url}/healthz`, ca);
      assert.deepEqual([health.status, JSON.parse(health.body)], [200, { status: 'ok' }]);
      const list = await httpsGet(`${server.url}/v1/resources`, ca, { authorization: `Bearer ${token}` });
      assert.equal(list.status, 200, list.body);
      assert.deepEqual(JSON.parse(list.body).items, []);
      // Another certificate as the CA: the client refuses the server.
      await assert.rejects(httpsGet(`${server.url}/healthz`, readFileSync(other.cert)), /self[- ]signed|unable to verify|certificate/i);
      const plain = await httpGet(`${server.url.replace('https:', 'http:')}/healthz`).catch((err: Error) => err);
      assert.ok(plain instanceof Error, `plain HTTP was answered: ${JSON.stringify(plain)}`);
    } finally {
      await server.stop();
    }
  });

  it('refuses a certificate that is not PEM, or a key of another certificate, before creating anything', async () => {
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate\n');
    for (const tls of [{ cert: readFileSync(garbage), key: readFileSync(pair.key) }, { cert: readFileSync(pair.cert), key: readFileSync(other.key) }]) {
      const dataDir = join(dir, `never-${Math.random().toString(36).slice(2)}`);
      await assert.rejects(startServer({ dataDir, host: '127.0.0.1', port: 0, logger: false, say: () => undefined, tls }),
        (err: any) => err.code === 'INVALID_ARGUMENT' && /TLS certificate and key cannot be used/.test(err.message) && !err.message.includes('PRIVATE KEY'));
      assert.equal(existsSync(dataDir), false);
    }
  });

  it('holdfast serve --tls-cert --tls-key listens with HTTPS', async () => {
    const child = spawn(process.execPath, [HOLDFAST, 'serve', '--data-dir', join(dir, 'cli-data'), '--port', '0', '--tls-cert', pair.cert, '--tls-key', pair.key],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /Server listening at (https?:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m !== null) resolve(m[1]!);
        });
        child.on('close', (code) => reject(new Error(`holdfast serve ended (${code}): ${out}`)));
      });
      assert.match(url, /^https:/);
      const ready = await httpsGet(`${url}/readyz`, readFileSync(pair.cert));
      assert.deepEqual([ready.status, JSON.parse(ready.body)], [200, { status: 'ready' }]);
    } finally {
      const closed = new Promise((resolve) => child.on('close', resolve));
      child.kill('SIGTERM');
      await closed;
    }
  });

  it('holdfast serve explains a missing or unreadable TLS file', async () => {
    const dataDir = join(dir, 'cli-never');
    const alone = await holdfast(['serve', '--data-dir', dataDir, '--port', '0', '--tls-cert', pair.cert]);
    assert.equal(alone.code, 1);
    assert.match(alone.out, /--tls-cert and --tls-key go together/);
    const keyOnly = await holdfast(['serve', '--data-dir', dataDir, '--port', '0', '--tls-key', pair.key]);
    assert.match(keyOnly.out, /--tls-cert and --tls-key go together/);
    const missing = await holdfast(['serve', '--data-dir', dataDir, '--port', '0', '--tls-cert', join(dir, 'nope.crt'), '--tls-key', pair.key]);
    assert.equal(missing.code, 1);
    assert.match(missing.out, /cannot read the --tls-cert file .*nope\.crt: ENOENT/);
    const invalid = await holdfast(['serve', '--data-dir', dataDir, '--port', '0', '--tls-cert', pair.key, '--tls-key', pair.key]);
    assert.equal(invalid.code, 1);
    assert.match(invalid.out, /TLS certificate and key cannot be used/);
    assert.equal(existsSync(dataDir), false);
  });
});
