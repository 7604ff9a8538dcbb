/**
 * The OpenAPI document at /docs/json, fetched over real HTTP from a running
 * server: structurally valid OpenAPI 3.0 (operations, responses, path
 * parameters, resolvable $refs, declared security schemes), listing every
 * /v1 route the server really has (read from Fastify's route table) with its
 * request schemas, tags and the bearer security requirement.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/http/server.js';
import { documentRoute } from '../../src/http/openapi.js';
import { openCatalog, type Catalog } from '../../src/catalog/index.js';
import { systemClock } from '../../src/common/clock.js';
import type { AppContext } from '../../src/app/context.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every (method, path) in Fastify's printed route tree, paths in OpenAPI form (/:id → /{id}), HEAD left out. */
function routeTable(server: FastifyInstance): Array<{ method: string; path: string }> {
  const stack: string[] = [];
  const routes: Array<{ method: string; path: string }> = [];
  for (const line of server.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (m === null) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const path = stack.join('').replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '' && s !== 'HEAD')) routes.push({ method: method.toLowerCase(), path });
  }
  return routes;
}

/** Checks the parts of OpenAPI 3.0 a generator can get wrong; answers the list of problems. */
function openApiProblems(doc: any): string[] {
  const problems: string[] = [];
  if (typeof doc.openapi !== 'string' || !/^3\.0\.\d+$/.test(doc.openapi)) problems.push(`openapi version ${doc.openapi}`);
  if (typeof doc.info?.title !== 'string' || typeof doc.info?.version !== 'string') problems.push('info.title/info.version');
  const schemes = doc.components?.securitySchemes ?? {};
  for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
    if (!path.startsWith('/')) problems.push(`path ${path} does not start with /`);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries<any>(item)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (!METHODS.includes(method)) { problems.push(`${where}: not an HTTP method`); continue; }
      const responses = Object.entries<any>(op.responses ?? {});
      if (responses.length === 0) problems.push(`${where}: no responses`);
      for (const [code, r] of responses) {
        if (!/^([1-5](\d\d|XX)|default)$/.test(code)) problems.push(`${where}: response key ${code}`);
        if (typeof r.description !== 'string') problems.push(`${where}: response ${code} has no description`);
      }
      for (const p of op.parameters ?? []) {
        if (!['query', 'path', 'header', 'cookie'].includes(p.in) || typeof p.name !== 'string' || p.schema === undefined) problems.push(`${where}: parameter ${JSON.stringify(p)}`);
        if (p.in === 'path' && (p.required !== true || !templated.includes(p.name))) problems.push(`${where}: path parameter ${p.name}`);
      }
      for (const name of templated) {
        if (!(op.parameters ?? []).some((p: any) => p.in === 'path' && p.name === name)) problems.push(`${where}: {${name}} not declared`);
      }
      if (op.requestBody !== undefined && Object.values<any>(op.requestBody.content ?? {}).every((c) => c.schema === undefined)) problems.push(`${where}: requestBody without schema`);
      for (const req of op.security ?? []) for (const name of Object.keys(req)) if (schemes[name] === undefined) problems.push(`${where}: security ${name} not declared`);
    }
  }
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) { v.forEach(walk); return; }
    if (v === null || typeof v !== 'object') return;
    const ref = (v as { $ref?: unknown }).$ref;
    if (typeof ref === 'string') {
      const target = ref.startsWith('#/') ? ref.slice(2).split('/').reduce<any>((o, k) => o?.[k], doc) : undefined;
      if (target === undefined) problems.push(`unresolved $ref ${ref}`);
    }
    Object.values(v).forEach(walk);
  };
  walk(doc);
  return problems;
}

describe('OpenAPI', () => {
  let dir: string;
  let catalog: Catalog;
  let server: FastifyInstance;
  let url: string;
  let doc: any;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'holdfast-openapi-'));
    catalog = await openCatalog(`sqlite:${join(dir, 'catalog.db')}`, systemClock);
    // The document needs only the route table; no /v1 handler runs here.
    server = await buildServer({ catalog } as unknown as AppContext, { logger: false });
    url = await server.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${url}/docs/json`);
    assert.equal(res.status, 200);
    doc = await res.json();
  });
  after(async () => {
    await server.close();
    await catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is valid OpenAPI 3.0', () => {
    assert.deepEqual(openApiProblems(doc), []);
    assert.deepEqual(doc.components.securitySchemes.bearerAuth, { ...doc.components.securitySchemes.bearerAuth, type: 'http', scheme: 'bearer' });
  });

  it('lists every /v1 route the server has, each with tags and the bearer requirement', () => {
    const v1 = routeTable(server).filter((r) => r.path.startsWith('/v1/'));
    for (const expected of ['post /v1/resources', 'get /v1/resources/{id}', 'post /v1/backups', 'post /v1/backups/{id}/restore', 'post /v1/jobs/{id}/cancel']) {
      assert.ok(v1.some((r) => `${r.method} ${r.path}` === expected), `route table lacks ${expected}`);
    }
    for (const { method, path } of v1) {
      const op = doc.paths[path]?.[method];
      assert.ok(op, `${method.toUpperCase()} ${path} is not documented`);
      assert.deepEqual(op.security, [{ bearerAuth: [] }], `${method} ${path}`);
      assert.ok(Array.isArray(op.tags) && op.tags.length > 0, `${method} ${path} has no tag`);
      assert.equal(op.responses.default.content['application/json'].schema.required.join(), 'code,message');
    }
    const documented = Object.entries<any>(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m} ${path}`));
    for (const entry of documented) assert.ok(routeTable(server).some((r) => `${r.method} ${r.path}` === entry), `${entry} is documented but not served`);
  });

  it('carries the request schemas of the routes', () => {
    const create = doc.paths['/v1/resources'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(create.required, ['name', 'driver', 'config']);
    assert.equal(create.additionalProperties, false);
    assert.equal(create.properties.name.maxLength, 200);
    const patch = doc.paths['/v1/resources/{id}'].patch.requestBody.content['application/json'].schema;
    assert.equal(patch.minProperties, 1);
    const backup = doc.paths['/v1/backups'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(backup.required, ['resourceId']);
    assert.deepEqual(backup.properties.type.enum, ['FULL', 'INCREMENTAL']);
    assert.equal(doc.paths['/v1/backups/{id}/restore'].post.requestBody.content['application/json'].schema.properties.target.type, 'object');
    const list = doc.paths['/v1/resources'].get.parameters;
    assert.deepEqual(list.map((p: any) => `${p.in}:${p.name}`).sort(), ['query:after', 'query:limit']);
    assert.equal(list.find((p: any) => p.name === 'limit').schema.maximum, 1000);
    assert.equal(doc.paths['/v1/resources'].post.summary, 'Create a resource');
  });

  it('leaves the probes unauthenticated and serves the UI at /docs', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      assert.equal(doc.paths[path].get.security, undefined, path);
      assert.deepEqual(doc.paths[path].get.tags, ['operations']);
    }
    assert.equal(Object.keys(doc.paths).some((p) => p.startsWith('/docs')), false);
    const ui = await fetch(`${url}/docs`);
    assert.equal(ui.status, 200);
    assert.match(ui.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await ui.text(), /swagger/i);
  });

  it("keeps a route's own tags and summary", () => {
    const own = documentRoute('GET', '/v1/things/:id', { tags: ['mine'], summary: 'Mine' });
    assert.deepEqual([own.tags, own.summary], [['mine'], 'Mine']);
    const derived = documentRoute('GET', '/v1/things/:id', undefined);
    assert.deepEqual(derived.tags, ['things']);
    assert.equal(derived.summary, undefined);
  });
});
