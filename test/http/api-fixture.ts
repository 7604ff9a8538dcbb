/**
 * Test helper for the /v1 tests: a server on loopback over a fresh data
 * directory, a JSON caller with the admin token, a second tenant's token,
 * a job waiter, and `restic` run against a tenant's repository.
 */
import { after, before } from 'node:test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryptoRandom } from '../../src/common/clock.js';
import type { AppContext } from '../../src/app/context.js';
import { decryptSecret, parseMasterKey } from '../../src/app/secrets.js';
import { createToken } from '../../src/app/tenants.js';
import { startServer, type RunningServer, type ServeOptions } from '../../src/main/serve.js';
import { openFor } from './open-catalog.js';

export const RESTIC = '/usr/bin/restic';

export interface Answer {
  status: number;
  headers: Headers;
  json: any;
}

export interface ApiFixture {
  readonly dir: string;
  readonly url: string;
  readonly token: string;
  call(method: string, path: string, opts?: { body?: unknown; token?: string | null; headers?: Record<string, string> }): Promise<Answer>;
  waitForJob(id: string, token?: string): Promise<any>;
  /** A member token of a new tenant. */
  otherTenantToken(name: string): Promise<string>;
  /** Runs restic with the repository of the default tenant. */
  restic(args: string[]): string;
}

/** Registers before/after hooks that start and stop a server; the fixture is usable inside tests. */
/** `options` adds server settings that depend on the fixture's directory (e.g. regions under it). */
export function useApiServer(prefix: string, options: (dir: string) => Partial<ServeOptions> = () => ({})): () => ApiFixture {
  let dir = '';
  let server: RunningServer | undefined;
  let token = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    server = await startServer({
      dataDir: join(dir, 'data'), host: '127.0.0.1', port: 0, logger: false, say: (line) => { token = /token[^:]*: (\S+)/.exec(line)?.[1] ?? token; }, ...options(dir),
    });
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return () => fixture(dir, server!.url, token);
}

function fixture(dir: string, url: string, token: string): ApiFixture {
  const call: ApiFixture['call'] = async (method, path, opts = {}) => {
    const auth: Record<string, string> = opts.token === null ? {} : { authorization: `Bearer ${opts.token ?? token}` };
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { ...auth, ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers },
      ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text === '' ? undefined : JSON.parse(text) };
  };
  return {
    dir, url, token, call,
    async waitForJob(id, as) {
      for (let i = 0; i < 1200; i++) {
        const { json } = await call('GET', `/v1/jobs/${id}`, { token: as ?? token });
        if (['SUCCEEDED', 'FAILED', 'CANCELED'].includes(json.state)) return json;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`job ${id} did not finish`);
    },
    async otherTenantToken(name) {
      const { catalog } = await openFor(join(dir, 'data'));
      try {
        const tenantId = `ten_${name}`;
        await catalog.tenants.create({ id: tenantId, name, aliases: {} });
        return await createToken({ catalog, random: cryptoRandom } as unknown as AppContext, tenantId, `${name}-user`, 'member');
      } finally {
        await catalog.close();
      }
    },
    restic(args) {
      const data = join(dir, 'data');
      const key = parseMasterKey(readFileSync(join(data, 'master.key'), 'utf8'));
      const query = "select location, password_ciphertext from repositories where tenant_id = (select id from tenants where name = 'default')";
      const repo = JSON.parse(execFileSync('sqlite3', ['-json', join(data, 'catalog.db'), query], { encoding: 'utf8' }))[0];
      return execFileSync(RESTIC, ['-r', repo.location, ...args], { env: { ...process.env, RESTIC_PASSWORD: decryptSecret(key, repo.password_ciphertext) }, encoding: 'utf8' });
    },
  };
}
