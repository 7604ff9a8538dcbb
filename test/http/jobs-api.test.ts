/**
 * GET /v1/jobs (filters, every page once) and GET /v1/jobs/:id/events, the
 * Server-Sent Events stream, over real HTTP with real volume backups: the
 * stream shows the job while it runs and ends with a SUCCEEDED `done` event;
 * same auth and tenant isolation as the rest. The watcher behind the stream
 * stops polling the catalog as soon as its client goes away.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cryptoRandom } from '../../src/common/clock.js';
import { openCatalog, type Catalog } from '../../src/catalog/index.js';
import type { AppContext, Principal } from '../../src/app/context.js';
import { watchJob } from '../../src/app/backups.js';
import { useApiServer, type ApiFixture } from './api-fixture.js';
import { testClock } from '../catalog/targets.js';

interface SseEvent {
  event: string;
  data: any;
}

/** Reads a whole event stream to its end; answers the status, the content type and the events (comments dropped). */
async function readEvents(api: ApiFixture, path: string): Promise<{ status: number; type: string | null; events: SseEvent[] }> {
  const res = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${api.token}` } });
  const events: SseEvent[] = [];
  const text = await res.text();
  for (const block of text.split('\n\n').filter((b) => b.trim() !== '')) {
    const lines = block.split('\n').filter((l) => !l.startsWith(':'));
    if (lines.length === 0) continue;
    const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
    const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
    events.push({ event, data: JSON.parse(data) });
  }
  return { status: res.status, type: res.headers.get('content-type'), events };
}

async function walkJobs(api: ApiFixture, query: string, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let next: string | undefined;
  do {
    const page = await api.call('GET', `/v1/jobs?limit=${limit}${query}${next === undefined ? '' : `&after=${encodeURIComponent(next)}`}`);
    assert.equal(page.status, 200, JSON.stringify(page.json));
    assert.ok(page.json.items.length <= limit);
    ids.push(...page.json.items.map((j: { id: string }) => j.id));
    next = page.json.next;
  } while (next !== undefined);
  return ids;
}

const ORDER = ['ACCEPTED', 'IN_PROGRESS', 'SUCCEEDED'];

describe('/v1/jobs list and events', () => {
  const fixture = useApiServer('holdfast-jobs-api-');
  const jobs: { id: string; kind: string; resourceId: string }[] = [];
  let small = '';
  let big = '';

  before(async () => {
    const api = fixture();
    mkdirSync(join(api.dir, 'small'));
    writeFileSync(join(api.dir, 'small', 'x.txt'), 'x\n');
    const image = join(api.dir, 'disk.img');
    writeFileSync(image, Buffer.concat(Array.from({ length: 32 }, () => randomBytes(1024 * 1024))));
    small = (await api.call('POST', '/v1/resources', { body: { name: 'small', driver: 'volume', config: { path: join(api.dir, 'small') } } })).json.id;
    big = (await api.call('POST', '/v1/resources', { body: { name: 'big', driver: 'volume', config: { path: image } } })).json.id;
    for (let i = 0; i < 4; i++) {
      const b = await api.call('POST', '/v1/backups', { body: { resourceId: small } });
      assert.equal((await api.waitForJob(b.json.job.id)).state, 'SUCCEEDED');
      jobs.push({ id: b.json.job.id, kind: 'backup', resourceId: small });
    }
    const newest = (await api.call('GET', `/v1/backups?resourceId=${small}&limit=1`)).json.items[0].id;
    const r = await api.call('POST', `/v1/backups/${newest}/restore`, { body: { target: { path: join(api.dir, 'restored') } } });
    assert.equal(r.status, 202, JSON.stringify(r.json));
    assert.equal((await api.waitForJob(r.json.id)).state, 'SUCCEEDED');
    jobs.push({ id: r.json.id, kind: 'restore', resourceId: small });
  });

  it('walks every page once, newest first, and filters by kind, state and resource', async () => {
    const api = fixture();
    const all = jobs.map((j) => j.id);
    for (const limit of [1, 2, 5, 50]) {
      const ids = await walkJobs(api, '', limit);
      assert.equal(new Set(ids).size, ids.length);
      assert.deepEqual(ids, [...all].reverse(), `limit ${limit}`);
    }
    assert.deepEqual(await walkJobs(api, '&kind=restore', 2), [jobs[4]!.id]);
    assert.deepEqual(await walkJobs(api, '&kind=backup&state=SUCCEEDED', 3), all.slice(0, 4).reverse());
    assert.deepEqual(await walkJobs(api, '&state=FAILED', 3), []);
    assert.deepEqual(await walkJobs(api, `&resourceId=${big}`, 3), []);
    for (const q of ['state=DONE', 'after=%%%', 'limit=-1', 'owner=me']) {
      const bad = await api.call('GET', `/v1/jobs?${q}`);
      assert.equal(bad.status, 400, q);
      assert.equal(bad.json.code, 'INVALID_ARGUMENT');
    }
  });

  it('streams a running job as events and ends with a SUCCEEDED done event', async () => {
    const api = fixture();
    const created = await api.call('POST', '/v1/backups', { body: { resourceId: big, type: 'FULL' } });
    assert.equal(created.status, 202);
    const { status, type, events } = await readEvents(api, `/v1/jobs/${created.json.job.id}/events`);
    assert.equal(status, 200);
    assert.match(type ?? '', /^text\/event-stream/);
    assert.ok(events.length >= 2, `saw ${events.length} events`);
    const last = events.at(-1)!;
    assert.equal(last.event, 'done');
    assert.equal(last.data.state, 'SUCCEEDED');
    assert.equal(last.data.progress.percent, 100);
    assert.equal(last.data.id, created.json.job.id);
    const early = events.slice(0, -1);
    assert.ok(early.every((e) => e.event === 'progress' && ['ACCEPTED', 'IN_PROGRESS'].includes(e.data.state)));
    const states = events.map((e) => ORDER.indexOf(e.data.state));
    assert.deepEqual(states, [...states].sort((a, b) => a - b), 'states only move forward');
    const seen = events.map((e) => JSON.stringify([e.data.state, e.data.progress]));
    assert.equal(new Set(seen).size, seen.length, 'an event only when something changed');
    jobs.push({ id: created.json.job.id, kind: 'backup', resourceId: big });
  });

  it('answers a settled job with one done event at once', async () => {
    const api = fixture();
    const { events } = await readEvents(api, `/v1/jobs/${jobs[0]!.id}/events`);
    assert.deepEqual(events.map((e) => [e.event, e.data.state]), [['done', 'SUCCEEDED']]);
  });

  it('needs a token and hides other tenants\' jobs', async () => {
    const api = fixture();
    const path = `/v1/jobs/${jobs[0]!.id}/events`;
    const anon = await api.call('GET', path, { token: null });
    assert.deepEqual([anon.status, anon.json.code], [401, 'UNAUTHENTICATED']);
    const other = await api.otherTenantToken('initech');
    const hidden = await api.call('GET', path, { token: other });
    assert.deepEqual([hidden.status, hidden.json.code], [404, 'NOT_FOUND']);
    assert.equal((await api.call('GET', '/v1/jobs/job_nope/events')).status, 404);
    assert.deepEqual((await api.call('GET', '/v1/jobs?limit=100', { token: other })).json.items, []);
    assert.equal((await api.call('GET', '/v1/jobs', { token: null })).status, 401);
  });

  it('survives a client that leaves mid-stream', async () => {
    const api = fixture();
    const created = await api.call('POST', '/v1/backups', { body: { resourceId: big, type: 'FULL' } });
    const abort = new AbortController();
    const res = await fetch(`${api.url}/v1/jobs/${created.json.job.id}/events`, { headers: { authorization: `Bearer ${api.token}` }, signal: abort.signal });
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    assert.match(first, /^event: (progress|done)\ndata: \{/);
    abort.abort();
    assert.equal((await api.waitForJob(created.json.job.id)).state, 'SUCCEEDED');
    assert.equal((await api.call('GET', '/healthz')).status, 200);
  });
});

describe('watchJob', () => {
  it('stops polling the catalog once its signal aborts', async () => {
    const clock = testClock();
    const catalog: Catalog = await openCatalog('sqlite::memory:', clock);
    try {
      let reads = 0;
      const counting = { ...catalog, jobs: { ...catalog.jobs, get: (t: string, id: string) => { reads++; return catalog.jobs.get(t, id); } } };
      const app = { catalog: counting, clock, random: cryptoRandom } as unknown as AppContext;
      const who: Principal = { tenantId: 't1', role: 'member', credentialId: 'c1' };
      await catalog.jobs.create({ id: 'j1', tenantId: 't1', kind: 'backup', resourceId: 'r1', backupId: 'b1', mutating: true, params: {} });
      const stop = new AbortController();
      const watch = watchJob(app, who, 'j1', { signal: stop.signal, pollMs: 10 });
      assert.equal((await watch.next()).value?.state, 'ACCEPTED');
      const pending = watch.next();
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(reads > 3, `polled ${reads} times while watched`);
      stop.abort();
      assert.equal((await pending).done, true);
      const after = reads;
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(reads, after, 'no read after the abort');
    } finally {
      await catalog.close();
    }
  });
});
