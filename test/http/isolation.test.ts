/**
 * Isolation matrix (issue 3, acceptance): every /v1 route the server
 * registers is called three ways — without credentials (401 in the
 * `{code, message}` format), with an admin token of tenant B on tenant A's
 * objects (404, or 403 on the system-admin-only tenant routes; routes scoped
 * to the caller's own tenant must show nothing of A), and by A's owner, whose
 * answer must not be 401/403/404 (so the filled request really names A's
 * object). A /v1 route this table does not know fails the test: whoever adds
 * a route adds its row here.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { call, startHarness, tenantWithTokens, type Answer, type Harness } from './admin-harness.js';

type Tenant = Awaited<ReturnType<typeof tenantWithTokens>>;

interface Fixture {
  readonly h: Harness;
  readonly a: Tenant;
  readonly b: Tenant;
  resource(): Promise<string>;
  backup(): Promise<{ resourceId: string; backupId: string; jobId: string }>;
}

interface Filled {
  readonly path: string;
  readonly body?: unknown;
  /** Ids of A's objects: a scoped answer to B must not contain them; A's own answer must. */
  readonly aIds?: readonly string[];
}

interface Case {
  fill(f: Fixture): Promise<Filled>;
  /** B's admin on A's object: 404 (not found, as an unknown id) or 403 (admin-only route); 'scoped' = answers about B only. */
  readonly other: 404 | 403 | 'scoped';
  /** Who owns the object: A's admin, or the system admin for the tenant routes. */
  readonly owner?: 'a' | 'system';
}

const ownResource = async (f: Fixture): Promise<Filled> => ({ path: `/v1/resources/${await f.resource()}` });
const ownBackup = async (f: Fixture): Promise<Filled> => ({ path: `/v1/backups/${(await f.backup()).backupId}` });
const ownJob = async (f: Fixture): Promise<Filled> => ({ path: `/v1/jobs/${(await f.backup()).jobId}` });
let serial = 0;
const aTenant = async (f: Fixture): Promise<Filled> => ({ path: `/v1/tenants/${f.a.id}` });

/** Every /v1 route, by `METHOD path` as Fastify spells it. Routes of work in progress elsewhere are listed before they exist. */
const MATRIX: Readonly<Record<string, Case>> = {
  'GET /v1/resources': { other: 'scoped', fill: async (f) => ({ path: '/v1/resources', aIds: [await f.resource()] }) },
  'POST /v1/resources': { other: 'scoped', fill: async () => ({ path: '/v1/resources', body: { name: `r-${serial++}`, driver: 'volume', config: { path: '/srv/iso' } } }) },
  'GET /v1/resources/:id': { other: 404, fill: ownResource },
  'PATCH /v1/resources/:id': { other: 404, fill: async (f) => ({ ...(await ownResource(f)), body: { name: `renamed-${serial++}` } }) },
  'DELETE /v1/resources/:id': { other: 404, fill: ownResource },
  'POST /v1/backups': { other: 404, fill: async (f) => ({ path: '/v1/backups', body: { resourceId: await f.resource(), type: 'FULL' } }) },
  'GET /v1/backups': { other: 'scoped', fill: async (f) => ({ path: '/v1/backups', aIds: [(await f.backup()).backupId] }) },
  'GET /v1/backups/:id': { other: 404, fill: ownBackup },
  'DELETE /v1/backups/:id': { other: 404, fill: ownBackup },
  'POST /v1/backups/:id/restore': { other: 404, fill: async (f) => ({ path: `${(await ownBackup(f)).path}/restore`, body: { target: { path: '/srv/iso-restore' } } }) },
  'GET /v1/jobs': { other: 'scoped', fill: async (f) => ({ path: '/v1/jobs', aIds: [(await f.backup()).jobId] }) },
  'GET /v1/jobs/:id': { other: 404, fill: ownJob },
  'GET /v1/jobs/:id/events': { other: 404, fill: async (f) => ({ path: `${(await ownJob(f)).path}/events` }) },
  'POST /v1/jobs/:id/cancel': { other: 404, fill: async (f) => ({ path: `${(await ownJob(f)).path}/cancel` }) },
  'POST /v1/tenants': { other: 403, owner: 'system', fill: async () => ({ path: '/v1/tenants', body: { name: `iso-${process.pid}` } }) },
  'GET /v1/tenants': { other: 403, owner: 'system', fill: async () => ({ path: '/v1/tenants' }) },
  'GET /v1/tenants/:id': { other: 403, owner: 'system', fill: aTenant },
  'PATCH /v1/tenants/:id': { other: 403, owner: 'system', fill: async (f) => ({ ...(await aTenant(f)), body: { aliases: { identityDomain: ['iso-a'] } } }) },
  'DELETE /v1/tenants/:id': { other: 403, owner: 'system', fill: aTenant },
  'POST /v1/tenants/:id/credentials': { other: 404, fill: async (f) => ({ path: `/v1/tenants/${f.a.id}/credentials`, body: { kind: 'token' } }) },
  'GET /v1/tenants/:id/credentials': { other: 404, fill: async (f) => ({ path: `/v1/tenants/${f.a.id}/credentials` }) },
  'DELETE /v1/tenants/:id/credentials/:credentialId': {
    other: 404,
    fill: async (f) => {
      const made = await call(f.h.url, 'POST', '/v1/tenants/me/credentials', { token: f.a.admin, body: { kind: 'token' } });
      return { path: `/v1/tenants/${f.a.id}/credentials/${made.json.id}` };
    },
  },
  'GET /v1/repository': {
    other: 'scoped',
    fill: async (f) => ({ path: '/v1/repository', aIds: [f.a.id, (await call(f.h.url, 'GET', '/v1/repository', { token: f.a.admin })).json.location] }),
  },
};

/** The routes a server registers, read from Fastify's route tree (`├── /seg (GET, HEAD)` lines, indented 4 per level). */
export function registeredRoutes(server: FastifyInstance): string[] {
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of server.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^(.*?)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (m === null) continue;
    const depth = [...m[1]!].length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const path = stack.join('');
    for (const method of m[3]?.split(', ') ?? []) routes.push(`${method} ${path}`);
  }
  return routes;
}

/** HEAD routes are Fastify's automatic twins of GET routes and answer as they do. */
function v1Routes(server: FastifyInstance): string[] {
  return registeredRoutes(server).filter((r) => r.split(' ')[1]!.startsWith('/v1/') && !r.startsWith('HEAD '));
}

function assertErrorFormat(r: Answer, status: number, what: string): void {
  assert.equal(r.status, status, `${what}: ${r.status} ${r.text}`);
  assert.equal(typeof r.json?.code, 'string', `${what}: ${r.text}`);
  assert.equal(typeof r.json?.message, 'string', `${what}: ${r.text}`);
  assert.deepEqual(Object.keys(r.json).sort(), ['code', 'message'], what);
}

describe('isolation matrix over every /v1 route', () => {
  let h: Harness;
  let fixture: Fixture;

  before(async () => {
    h = await startHarness();
    const a = await tenantWithTokens(h, 'tenant-a');
    const b = await tenantWithTokens(h, 'tenant-b');
    let n = 0;
    const resource = async (): Promise<string> => {
      const r = await call(h.url, 'POST', '/v1/resources', { token: a.admin, body: { name: `a-${n++}`, driver: 'volume', config: { path: '/srv/a' } } });
      assert.equal(r.status, 201, r.text);
      return r.json.id;
    };
    const backup = async (): Promise<{ resourceId: string; backupId: string; jobId: string }> => {
      const resourceId = await resource();
      const r = await call(h.url, 'POST', '/v1/backups', { token: a.admin, body: { resourceId } });
      assert.equal(r.status, 202, r.text);
      return { resourceId, backupId: r.json.id, jobId: r.json.job.id };
    };
    fixture = { h, a, b, resource, backup };
  });
  after(async () => h?.close());

  it('knows every /v1 route the server registers', () => {
    const routes = v1Routes(h.server);
    assert.ok(routes.length >= 15, `found only ${routes.join(', ')}`);
    assert.deepEqual(routes.filter((r) => MATRIX[r] === undefined), [], 'add these routes to the isolation matrix');
  });

  it('answers 401 without credentials and with a forged token, in the error format', async () => {
    for (const route of v1Routes(h.server)) {
      const [method, pattern] = route.split(' ') as [string, string];
      const filled = await MATRIX[route]!.fill(fixture);
      assertErrorFormat(await call(h.url, method, filled.path, { body: filled.body }), 401, `${route} without a token`);
      const forged = `hf_${fixture.a.admin.split('_')[1]}_${'A'.repeat(43)}`;
      assertErrorFormat(await call(h.url, method, filled.path, { body: filled.body, token: forged }), 401, `${route} with a forged token`);
      assert.ok(pattern.startsWith('/v1/'));
      // Fastify's automatic HEAD twin of a GET route goes through the same authentication.
      if (method === 'GET') assert.equal((await call(h.url, 'HEAD', filled.path)).status, 401, `HEAD ${pattern}`);
    }
  });

  it("keeps tenant B's admin out of tenant A's objects, and A's owner in", async () => {
    const checked: string[] = [];
    for (const route of v1Routes(h.server)) {
      const [method] = route.split(' ') as [string];
      const c = MATRIX[route]!;
      const filled = await c.fill(fixture);
      const asB = await call(h.url, method, filled.path, { token: fixture.b.admin, body: filled.body });
      if (c.other === 'scoped') {
        assert.ok(asB.status < 400, `${route} as B: ${asB.status} ${asB.text}`);
        for (const id of filled.aIds ?? []) assert.ok(!asB.text.includes(id), `${route} shows B an object of A: ${id}`);
        if (asB.json?.tenantId !== undefined) assert.equal(asB.json.tenantId, fixture.b.id, route);
      } else {
        assertErrorFormat(asB, c.other, `${route} as B`);
      }
      const owner = c.owner === 'system' ? h.sysToken : fixture.a.admin;
      const asOwner = await call(h.url, method, filled.path, { token: owner, body: filled.body });
      assert.ok(![401, 403, 404].includes(asOwner.status), `${route} as its owner: ${asOwner.status} ${asOwner.text}`);
      for (const id of filled.aIds ?? []) assert.ok(asOwner.text.includes(id), `${route}: the owner's answer lacks ${id}`);
      checked.push(route);
    }
    assert.deepEqual(checked, v1Routes(h.server));
  });

  it("answers 403 to tenant A's member on admin routes", async () => {
    for (const [route, c] of Object.entries(MATRIX)) {
      if (c.other !== 403 && !route.includes('/credentials') && route !== 'GET /v1/repository') continue;
      if (!v1Routes(h.server).includes(route)) continue;
      const [method] = route.split(' ') as [string];
      const filled = await c.fill(fixture);
      assertErrorFormat(await call(h.url, method, filled.path, { token: fixture.a.member, body: filled.body }), 403, `${route} as A's member`);
    }
  });
});
