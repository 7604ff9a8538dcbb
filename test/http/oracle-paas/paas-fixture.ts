/**
 * Test helper for the Oracle PaaS dialect: a Holdfast server on loopback, an
 * identity domain made through the native admin API (a tenant with an
 * `identityDomain` alias, password users and an admin token), service
 * instances that are scratch databases on the local PostgreSQL, and the real
 * curl run on a command line as the seeds print it, its `--include` output
 * parsed into status, headers and body.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServer, type RunningServer } from '../../../src/main/serve.js';
import { sh, uniqueName } from '../../source/helpers.js';

const exec = promisify(execFile);
export const PG = 'postgres://postgres@127.0.0.1:5432';

export interface Answer {
  readonly status: number;
  readonly json: any;
}

export interface CurlAnswer {
  readonly status: number;
  /** Header names in lower case; a header sent twice keeps every value. */
  readonly headers: Record<string, string[]>;
  readonly body: string;
}

export interface Domain {
  readonly tenantId: string;
  /** A bearer token of an admin of the domain's tenant, for the native API. */
  readonly token: string;
}

export interface PaasServer {
  readonly url: string;
  readonly dataDir: string;
  /** Native API call with the default tenant's admin token, or `token`. */
  call(method: string, path: string, body?: unknown, token?: string): Promise<Answer>;
  /** A tenant with these identityDomain aliases and password users. */
  domain(name: string, aliases: string[], users: Record<string, string>): Promise<Domain>;
  /** A scratch database with a table (on `server`, default the local one), registered as a postgres resource with `serviceName` as its dbaasServiceName. */
  instance(domain: Domain, serviceName: string, server?: string): Promise<{ resourceId: string; database: string }>;
  /** Registers an existing database as a `driver` resource of the domain with `serviceName` as its dbaasServiceName. */
  resource(domain: Domain, serviceName: string, driver: string, config: unknown): Promise<string>;
  stop(): Promise<void>;
}

export async function psql(database: string, sql: string, server = PG): Promise<string> {
  return sh('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', `${server}/${database}`, '-c', sql]);
}

export async function startPaasServer(opts: { publicBaseUrl?: string } = {}): Promise<PaasServer> {
  const dir = mkdtempSync(join(tmpdir(), 'holdfast-paas-'));
  const dataDir = join(dir, 'data');
  let adminToken = '';
  const server: RunningServer = await startServer({
    dataDir, host: '127.0.0.1', port: 0, logger: false, ...opts,
    say: (line) => { adminToken = /token[^:]*: (\S+)/.exec(line)?.[1] ?? adminToken; },
  });
  const databases: { server: string; database: string }[] = [];
  const call: PaasServer['call'] = async (method, path, body, token) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token ?? adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
  };
  const resource: PaasServer['resource'] = async (domain, serviceName, driver, config) => {
    const created = await call('POST', '/v1/resources', {
      name: `${driver}-${serviceName}`, driver, config, aliases: { dbaasServiceName: serviceName },
    }, domain.token);
    assert.equal(created.status, 201, JSON.stringify(created.json));
    return created.json.id;
  };
  return {
    url: server.url, dataDir, call,
    async domain(name, aliases, users) {
      const tenant = await call('POST', '/v1/tenants', { name, aliases: { identityDomain: aliases } });
      assert.equal(tenant.status, 201, JSON.stringify(tenant.json));
      for (const [user, password] of Object.entries(users)) {
        const cred = await call('POST', `/v1/tenants/${tenant.json.id}/credentials`, { kind: 'password', user, password });
        assert.equal(cred.status, 201, JSON.stringify(cred.json));
      }
      const admin = await call('POST', `/v1/tenants/${tenant.json.id}/credentials`, { kind: 'token', name: `${name}-admin`, role: 'admin' });
      assert.equal(admin.status, 201, JSON.stringify(admin.json));
      return { tenantId: tenant.json.id, token: admin.json.token };
    },
    async instance(domain, serviceName, server = PG) {
      const database = uniqueName('holdfast_paas');
      await psql('postgres', `CREATE DATABASE ${database}`, server);
      databases.push({ server, database });
      await psql(database, "CREATE TABLE orders (id serial PRIMARY KEY, note text); INSERT INTO orders (note) SELECT 'order ' || i FROM generate_series(1, 500) i;", server);
      return { resourceId: await resource(domain, serviceName, 'postgres', { url: `${server}/${database}` }), database };
    },
    resource,
    async stop() {
      await server.stop();
      for (const { server: at, database } of databases) await psql('postgres', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`, at).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface BasicAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

/** A request with HTTP Basic `user:password` and `X-ID-TENANT-NAME: domain` (plain fetch, for tests that need no curl). */
export async function basicFetch(method: string, url: string, userPassword: string, domain: string, body?: unknown): Promise<BasicAnswer> {
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(userPassword).toString('base64')}`, 'x-id-tenant-name': domain,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** Parses `curl --include` output: the last header block (after any 1xx) and the body. */
export function parseCurlOutput(out: string): CurlAnswer {
  let rest = out;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    assert.ok(end >= 0, `no header block in curl output: ${out.slice(0, 200)}`);
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(statusLine!)?.[1]);
    rest = rest.slice(end + 4);
    if (status >= 200) {
      const headers: Record<string, string[]> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        (headers[name] ??= []).push(line.slice(colon + 1).trim());
      }
      return { status, headers, body: rest };
    }
  }
}

/** Runs a curl command line as a shell would (the seeds' quoting and line continuations included). */
export async function curl(commandLine: string): Promise<CurlAnswer> {
  const { stdout } = await exec('bash', ['-c', commandLine], { maxBuffer: 16 << 20 });
  return parseCurlOutput(stdout);
}

/** `curl -i` GET with Basic credentials and the domain header. */
export function curlGet(url: string, userPassword: string, domain: string): Promise<CurlAnswer> {
  return curl(`curl --silent --include --user '${userPassword}' --header 'X-ID-TENANT-NAME:${domain}' '${url}'`);
}

/** GETs `url` until `done(json)`; answers the last JSON and every value `stateOf` read on the way. */
export async function follow(url: string, userPassword: string, domain: string, stateOf: (json: any) => string, done: (state: string) => boolean): Promise<{ json: any; states: string[] }> {
  const states: string[] = [];
  for (let i = 0; i < 1200; i++) {
    const answer = await curlGet(url, userPassword, domain);
    assert.equal(answer.status, 200, answer.body);
    const json = JSON.parse(answer.body);
    const state = stateOf(json);
    if (states.at(-1) !== state) states.push(state);
    if (done(state)) return { json, states };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not reach its end state; seen ${states.join(' → ')}`);
}

/** Every file under the data directory's repositories with its size: equal before and after means nothing was written. */
export function repositoryFiles(dataDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const path = join(dir, name);
      const st = statSync(path);
      if (st.isDirectory()) walk(path);
      else out.push(`${path} ${st.size}`);
    }
  };
  walk(join(dataDir, 'repos'));
  return out;
}

/** The CORS headers of Oracle's answer (seed 001). */
export function assertCors(answer: CurlAnswer): void {
  assert.deepEqual(answer.headers['access-control-allow-origin'], ['*']);
  assert.deepEqual(answer.headers['access-control-allow-headers'], ['Content-Type, api_key, Authorization, X-ID-TENANT-NAME, X-USER-IDENTITY-DOMAIN-NAME']);
  assert.deepEqual(answer.headers['access-control-allow-methods'], ['GET, POST, DELETE, PUT, OPTIONS, HEAD']);
}
