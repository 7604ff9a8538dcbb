/**
 * /metrics, /healthz and /readyz over real HTTP: a real volume backup through
 * /v1 shows in the job gauges, the job-duration histogram and the stored
 * bytes; request latency is labelled by route pattern, never by raw URL, and
 * nothing names a tenant, resource or id. Two servers in one process keep
 * separate registries. /readyz answers 503 when the catalog is gone.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/main/serve.js';
import { buildServer } from '../../src/http/server.js';
import { openCatalog } from '../../src/catalog/index.js';
import { systemClock } from '../../src/common/clock.js';
import type { AppContext } from '../../src/app/context.js';

interface Sample { name: string; labels: Record<string, string>; value: number }

/** Parses the Prometheus text format (no escapes in our label values). */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

const pick = (samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
const total = (samples: Sample[]): number => samples.reduce((n, s) => n + s.value, 0);

async function start(dir: string): Promise<{ server: RunningServer; token: string }> {
  let token = '';
  const server = await startServer({ dataDir: join(dir, 'data'), host: '127.0.0.1', port: 0, logger: false, say: (line) => { token = /token[^:]*: (\S+)/.exec(line)?.[1] ?? token; } });
  return { server, token };
}

describe('metrics', () => {
  let dir: string;
  let first: { server: RunningServer; token: string };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'holdfast-metrics-'));
    first = await start(join(dir, 'one'));
  });
  after(async () => {
    await first.server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${first.server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${first.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
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
  const scrape = async (url = first.server.url): Promise<{ text: string; samples: Sample[] }> => {
    const res = await fetch(`${url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    return { text, samples: parseMetrics(text) };
  };

  it('starts with no jobs, no stored bytes and the process metrics, without a token', async () => {
    const { samples } = await scrape();
    for (const state of ['ACCEPTED', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'CANCELED']) {
      assert.deepEqual(pick(samples, 'holdfast_jobs_by_state', { state }).map((s) => s.value), [0], state);
    }
    assert.deepEqual(pick(samples, 'holdfast_stored_bytes').map((s) => s.value), [0]);
    assert.equal(total(pick(samples, 'holdfast_job_duration_seconds_count')), 0);
    assert.equal(pick(samples, 'holdfast_process_cpu_user_seconds_total').length, 1);
    assert.ok(pick(samples, 'holdfast_nodejs_heap_size_used_bytes').length === 1);
  });

  it('counts a real volume backup in the job gauges, the duration histogram and the stored bytes', async () => {
    const src = join(dir, 'src');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'a.bin'), Buffer.alloc(200_000, 3));
    writeFileSync(join(src, 'b.txt'), 'metrics\n');
    const resource = await call('POST', '/v1/resources', { name: 'secret-project-name', driver: 'volume', config: { path: src } });
    assert.equal(resource.status, 201, JSON.stringify(resource.json));
    assert.equal(typeof resource.json.tenantId, 'string');
    const backup = await call('POST', '/v1/backups', { resourceId: resource.json.id, type: 'FULL' });
    assert.equal(backup.status, 202, JSON.stringify(backup.json));
    const job = await waitForJob(backup.json.job.id);
    assert.equal(job.state, 'SUCCEEDED', JSON.stringify(job.error));
    const stored = await call('GET', `/v1/backups/${backup.json.id}`);
    assert.equal(stored.json.state, 'AVAILABLE');
    assert.ok(stored.json.storedBytes > 0);
    assert.equal((await call('GET', `/v1/resources/${resource.json.id}`)).status, 200);

    const { text, samples } = await scrape();
    assert.deepEqual(pick(samples, 'holdfast_jobs_by_state', { state: 'SUCCEEDED' }).map((s) => s.value), [1]);
    assert.deepEqual(pick(samples, 'holdfast_jobs_by_state', { state: 'ACCEPTED' }).map((s) => s.value), [0]);
    assert.equal(total(pick(samples, 'holdfast_job_duration_seconds_count')), 1);
    const settled = pick(samples, 'holdfast_job_duration_seconds_count', { kind: 'backup', state: 'SUCCEEDED' });
    assert.deepEqual(settled.map((s) => s.value), [1]);
    const seconds = pick(samples, 'holdfast_job_duration_seconds_sum', { kind: 'backup', state: 'SUCCEEDED' })[0]!.value;
    assert.ok(seconds > 0 && seconds < 60, `job took ${seconds} s`);
    assert.deepEqual(pick(samples, 'holdfast_stored_bytes').map((s) => s.value), [stored.json.storedBytes]);

    const byId = pick(samples, 'holdfast_http_request_duration_seconds_count', { method: 'GET', route: '/v1/resources/:id', status_code: '200' });
    assert.deepEqual(byId.map((s) => s.value), [1]);
    assert.ok(pick(samples, 'holdfast_http_request_duration_seconds_count', { method: 'POST', route: '/v1/backups', status_code: '202' }).length === 1);
    assert.ok(total(pick(samples, 'holdfast_http_request_duration_seconds_count', { route: '/v1/jobs/:id' })) >= 1);
    for (const leak of [resource.json.id, backup.json.id, job.id, resource.json.tenantId, 'secret-project-name', first.token]) {
      assert.equal(text.includes(leak), false, `/metrics shows ${leak}`);
    }
  });

  it('observes a failed job under its end state', async () => {
    const resource = await call('POST', '/v1/resources', { name: 'gone', driver: 'volume', config: { path: join(dir, 'does-not-exist') } });
    assert.equal(resource.status, 201, JSON.stringify(resource.json));
    const backup = await call('POST', '/v1/backups', { resourceId: resource.json.id, type: 'FULL' });
    const job = await waitForJob(backup.json.job.id);
    assert.equal(job.state, 'FAILED');
    const { samples } = await scrape();
    assert.deepEqual(pick(samples, 'holdfast_jobs_by_state', { state: 'FAILED' }).map((s) => s.value), [1]);
    assert.deepEqual(pick(samples, 'holdfast_job_duration_seconds_count', { kind: 'backup', state: 'FAILED' }).map((s) => s.value), [1]);
    assert.equal(total(pick(samples, 'holdfast_job_duration_seconds_count')), 2);
  });

  it('labels unmatched and unauthenticated requests without their raw URL', async () => {
    const probe = `/no/such/thing-${process.pid}`;
    assert.equal((await fetch(`${first.server.url}${probe}`)).status, 404);
    assert.equal((await fetch(`${first.server.url}/v1/backups/bak_secretid123`)).status, 401);
    const { text, samples } = await scrape();
    assert.equal(text.includes(probe), false);
    assert.equal(text.includes('bak_secretid123'), false);
    assert.ok(total(pick(samples, 'holdfast_http_request_duration_seconds_count', { route: 'unmatched', status_code: '404' })) >= 1);
    assert.ok(total(pick(samples, 'holdfast_http_request_duration_seconds_count', { route: '/v1/backups/:id', status_code: '401' })) >= 1);
    const routes = new Set(pick(samples, 'holdfast_http_request_duration_seconds_count').map((s) => s.labels['route']));
    for (const route of routes) assert.ok(route === 'unmatched' || route!.startsWith('/'), `route label ${route}`);
  });

  it('keeps a separate registry per server in one process', async () => {
    const second = await start(join(dir, 'two'));
    try {
      const { samples } = await scrape(second.server.url);
      assert.deepEqual(pick(samples, 'holdfast_jobs_by_state', { state: 'SUCCEEDED' }).map((s) => s.value), [0]);
      assert.equal(total(pick(samples, 'holdfast_job_duration_seconds_count')), 0);
      assert.equal(total(pick(samples, 'holdfast_http_request_duration_seconds_count', { route: '/v1/resources/:id' })), 0);
      const again = await scrape();
      assert.equal(total(pick(again.samples, 'holdfast_job_duration_seconds_count')), 2);
    } finally {
      await second.server.stop();
    }
  });
});

describe('probes', () => {
  it('/readyz answers 503 in the error format once the catalog is gone; /healthz stays 200', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'holdfast-ready-'));
    const catalog = await openCatalog(`sqlite:${join(dir, 'catalog.db')}`, systemClock);
    // buildServer reads only the catalog until a /v1 route runs; the probes need nothing else.
    const server = await buildServer({ catalog } as unknown as AppContext, { logger: false });
    try {
      const url = await server.listen({ host: '127.0.0.1', port: 0 });
      const ready = await fetch(`${url}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { status: 'ready' });
      await catalog.close();
      const down = await fetch(`${url}/readyz`);
      assert.equal(down.status, 503);
      const body = await down.json() as { code: string; message: string };
      assert.equal(body.code, 'BACKEND_IO');
      assert.match(body.message, /catalog/);
      assert.equal(Object.keys(body).sort().join(), 'code,message');
      const live = await fetch(`${url}/healthz`);
      assert.equal(live.status, 200);
      assert.deepEqual(await live.json(), { status: 'ok' });
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
