/**
 * Test helper for the admin, isolation, fuzz and redaction tests: a server
 * built by buildServer over a fresh data directory and SQLite catalog,
 * listening on loopback, with NO job runner (jobs stay ACCEPTED, so no backup
 * ever runs), the system admin's token, and a small fetch wrapper.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { cryptoRandom, systemClock } from '../../src/common/clock.js';
import { openCatalog } from '../../src/catalog/index.js';
import type { AppContext } from '../../src/app/context.js';
import { ensureDefaultTenant } from '../../src/app/tenants.js';
import { buildServer, type ServerOptions } from '../../src/http/server.js';
import { repoEnvironment } from '../../src/main/environment.js';

export interface Harness {
  readonly url: string;
  readonly app: AppContext;
  readonly server: FastifyInstance;
  readonly dir: string;
  /** An admin token of the default tenant: the system admin. */
  readonly sysToken: string;
  close(): Promise<void>;
}

export async function startHarness(opts: ServerOptions = { logger: false }): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'holdfast-admin-'));
  const catalog = await openCatalog(`sqlite:${join(dir, 'catalog.db')}`, systemClock);
  const app: AppContext = {
    catalog, clock: systemClock, random: cryptoRandom, repoEnv: repoEnvironment(), dataDir: dir,
    masterKey: cryptoRandom.bytes(32), toolEnv: {}, jobsWaiting: () => undefined,
  };
  const { adminToken } = await ensureDefaultTenant(app);
  const server = await buildServer(app, opts);
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    url, app, server, dir, sysToken: adminToken!,
    async close() {
      await server.close();
      await catalog.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  readonly status: number;
  readonly text: string;
  readonly json: any;
  readonly contentType: string;
}

export interface CallOptions {
  readonly token?: string;
  readonly body?: unknown;
  /** Sent as is, with `contentType` (default application/json). */
  readonly raw?: string;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
}

export async function call(baseUrl: string, method: string, path: string, o: CallOptions = {}): Promise<Answer> {
  const body = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
  const headers: Record<string, string> = { ...(o.token === undefined ? {} : { authorization: `Bearer ${o.token}` }), ...o.headers };
  if (body !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 15_000);
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body, signal: controller.signal }).finally(() => clearTimeout(timer));
  // An event stream never ends on its own: its first bytes are enough.
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    controller.abort();
    return { status: res.status, text: '', json: undefined, contentType: 'text/event-stream' };
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, contentType: res.headers.get('content-type') ?? '' };
}

/** Creates a tenant through the API and an admin and a member token for it. */
export async function tenantWithTokens(h: Harness, name: string): Promise<{ id: string; admin: string; member: string; adminCredId: string }> {
  const t = await call(h.url, 'POST', '/v1/tenants', { token: h.sysToken, body: { name } });
  assert.equal(t.status, 201, `tenant create: ${t.text}`);
  const admin = await call(h.url, 'POST', `/v1/tenants/${t.json.id}/credentials`, { token: h.sysToken, body: { kind: 'token', role: 'admin', name: 'admin' } });
  const member = await call(h.url, 'POST', `/v1/tenants/${t.json.id}/credentials`, { token: h.sysToken, body: { kind: 'token', name: 'member' } });
  assert.equal(admin.status, 201, `token create: ${admin.text}`);
  assert.equal(member.status, 201, `token create: ${member.text}`);
  return { id: t.json.id, admin: admin.json.token, member: member.json.token, adminCredId: admin.json.id };
}
