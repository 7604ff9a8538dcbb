/**
 * Shared steps of the driver end-to-end tests: a server on loopback with a
 * fresh data directory, /v1 calls with the first start's admin token, a
 * resource backed up and restored through the API with the job polled to its
 * end, and the tenant repository's location and password (decrypted with the
 * app's own functions) for the stock restic binary.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decryptSecret, parseMasterKey } from '../../src/app/secrets.js';
import { startServer, type RunningServer } from '../../src/main/serve.js';
import { openFor } from './open-catalog.js';

export const RESTIC = '/usr/bin/restic';
const exec = promisify(execFile);

export interface Answer {
  readonly status: number;
  readonly json: any;
}

export interface E2E {
  readonly dir: string;
  readonly dataDir: string;
  call(method: string, path: string, body?: unknown): Promise<Answer>;
  createResource(name: string, driver: string, config: unknown): Promise<string>;
  /** Polls GET /v1/jobs/:id until the job ends; returns it. */
  waitForJob(id: string): Promise<any>;
  /** POST /v1/backups, waits for the job; returns the AVAILABLE backup. */
  backup(resourceId: string): Promise<any>;
  /** POST /v1/backups/:id/restore, waits for the job; asserts it succeeded. */
  restore(backupId: string, target: unknown): Promise<any>;
  /** Every repository of this server's catalog, with its password decrypted. */
  repositories(): Promise<{ location: string; password: string }[]>;
  stop(): Promise<void>;
}

export async function startE2E(label: string): Promise<E2E> {
  const dir = mkdtempSync(join(tmpdir(), `holdfast-e2e-${label}-`));
  const dataDir = join(dir, 'data');
  let token = '';
  const server: RunningServer = await startServer({
    dataDir, host: '127.0.0.1', port: 0, logger: false,
    say: (line) => { token = /token[^:]*: (\S+)/.exec(line)?.[1] ?? token; },
  });
  assert.match(token, /^hf_/);

  const call = async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
  };

  const waitForJob = async (id: string): Promise<any> => {
    const deadline = Date.now() + 15 * 60_000;
    while (Date.now() < deadline) {
      const { json } = await call('GET', `/v1/jobs/${id}`);
      if (['SUCCEEDED', 'FAILED', 'CANCELED'].includes(json.state)) return json;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${id} did not finish in time`);
  };

  return {
    dir,
    dataDir,
    call,
    waitForJob,
    async createResource(name, driver, config) {
      const created = await call('POST', '/v1/resources', { name, driver, config });
      assert.equal(created.status, 201, JSON.stringify(created.json));
      return created.json.id as string;
    },
    async backup(resourceId) {
      const started = await call('POST', '/v1/backups', { resourceId, type: 'FULL' });
      assert.equal(started.status, 202, JSON.stringify(started.json));
      const job = await waitForJob(started.json.job.id);
      assert.equal(job.state, 'SUCCEEDED', JSON.stringify(job.error));
      const stored = await call('GET', `/v1/backups/${started.json.id}`);
      assert.equal(stored.json.state, 'AVAILABLE');
      assert.equal(stored.json.snapshotIds.length, 1);
      return stored.json;
    },
    async restore(backupId, target) {
      const started = await call('POST', `/v1/backups/${backupId}/restore`, { target });
      assert.equal(started.status, 202, JSON.stringify(started.json));
      const job = await waitForJob(started.json.id);
      assert.equal(job.state, 'SUCCEEDED', JSON.stringify(job.error));
      return job;
    },
    async repositories() {
      const { catalog } = await openFor(dataDir);
      try {
        const key = parseMasterKey(readFileSync(join(dataDir, 'master.key'), 'utf8'));
        const rows = await catalog.repositories.list();
        return rows.map((r) => ({ location: r.location, password: decryptSecret(key, r.passwordCiphertext) }));
      } finally {
        await catalog.close();
      }
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs the stock restic against a repository; returns stdout. */
export async function restic(repo: { location: string; password: string }, args: readonly string[]): Promise<string> {
  const { stdout } = await exec(RESTIC, ['-r', repo.location, '--no-cache', ...args], {
    env: { ...process.env, RESTIC_PASSWORD: repo.password }, maxBuffer: 64 << 20,
  });
  return stdout;
}

/** Every repository of the server passes `restic check --read-data`; asserts there is at least one. */
export async function checkRepositories(e2e: E2E): Promise<void> {
  const repos = await e2e.repositories();
  assert.ok(repos.length >= 1, 'the tests used no repository');
  for (const repo of repos) {
    assert.ok(repo.location.startsWith(join(e2e.dataDir, 'repos')));
    assert.match(await restic(repo, ['check', '--read-data']), /no errors were found/);
  }
}

/** The sha256 of a file, read as a stream (big images stay out of memory). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
