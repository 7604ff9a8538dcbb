/**
 * GET and DELETE /v1/backups over real HTTP with real volume backups: every
 * page walked once with no duplicate and none missing, the filters, DELETED
 * hidden unless asked for, and a delete job whose snapshot restic no longer
 * lists while `restic check` still passes; CREATING answers CONFLICT, a
 * deleted backup NOT_FOUND, another tenant's backup NOT_FOUND.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backup } from '../../src/catalog/index.js';
import { RESTIC, useApiServer, type ApiFixture } from './api-fixture.js';
import { openFor } from './open-catalog.js';

async function walk(api: ApiFixture, query: string, limit: number): Promise<{ ids: string[]; pages: number; items: any[] }> {
  const items: any[] = [];
  let next: string | undefined;
  let pages = 0;
  do {
    const cursor = next === undefined ? '' : `&after=${encodeURIComponent(next)}`;
    const page = await api.call('GET', `/v1/backups?limit=${limit}${query}${cursor}`);
    assert.equal(page.status, 200, JSON.stringify(page.json));
    assert.ok(page.json.items.length <= limit);
    items.push(...page.json.items);
    next = page.json.next;
    pages++;
  } while (next !== undefined);
  return { ids: items.map((b) => b.id), pages, items };
}

async function insertBackup(api: ApiFixture, b: Partial<Backup> & Pick<Backup, 'id' | 'resourceId' | 'state'>): Promise<void> {
  const { catalog } = await openFor(join(api.dir, 'data'));
  try {
    const tenant = await catalog.tenants.getByName('default');
    await catalog.backups.create({
      tenantId: tenant!.id, name: b.id, description: '', type: 'FULL', source: 'MANUAL', logicalBytes: null, storedBytes: null, snapshotIds: [],
      timeRequested: '2020-01-01T00:00:00.000Z', timeImaged: null, timeAvailable: null, expiresAt: null, keepForever: false, tags: {},
      parentId: null, jobId: null, extra: {}, ...b,
    });
  } finally {
    await catalog.close();
  }
}

const snapshotIds = (api: ApiFixture): string[] => (JSON.parse(api.restic(['snapshots', '--json'])) as { id: string }[]).map((s) => s.id);

describe('/v1/backups list and delete', () => {
  const fixture = useApiServer('holdfast-backups-api-');
  const made: { id: string; resourceId: string; type: string }[] = [];
  let resA = '';
  let resB = '';

  const backUp = async (api: ApiFixture, resourceId: string, type: 'FULL' | 'INCREMENTAL'): Promise<void> => {
    const created = await api.call('POST', '/v1/backups', { body: { resourceId, type } });
    assert.equal(created.status, 202, JSON.stringify(created.json));
    const job = await api.waitForJob(created.json.job.id);
    assert.equal(job.state, 'SUCCEEDED', JSON.stringify(job.error));
    made.push({ id: created.json.id, resourceId, type });
  };

  before(async () => {
    const api = fixture();
    for (const name of ['a', 'b']) {
      mkdirSync(join(api.dir, name, 'sub'), { recursive: true });
      writeFileSync(join(api.dir, name, 'sub', 'f.txt'), `content of ${name}\n`);
    }
    resA = (await api.call('POST', '/v1/resources', { body: { name: 'a', driver: 'volume', config: { path: join(api.dir, 'a') } } })).json.id;
    resB = (await api.call('POST', '/v1/resources', { body: { name: 'b', driver: 'volume', config: { path: join(api.dir, 'b') } } })).json.id;
    for (let i = 0; i < 5; i++) {
      writeFileSync(join(api.dir, 'a', `n${i}.txt`), `file ${i}\n`);
      await backUp(api, resA, i % 2 === 0 ? 'FULL' : 'INCREMENTAL');
    }
    await backUp(api, resB, 'FULL');
    await backUp(api, resB, 'INCREMENTAL');
  });

  it('walks every page once, newest first, with no duplicate and none missing', async () => {
    const api = fixture();
    for (const limit of [1, 2, 3, 7, 100]) {
      const { ids, pages, items } = await walk(api, '', limit);
      assert.equal(new Set(ids).size, ids.length, `duplicates at limit ${limit}`);
      assert.deepEqual([...ids].sort(), made.map((b) => b.id).sort(), `limit ${limit}`);
      assert.equal(pages, Math.ceil(made.length / limit), `an exactly full last page has no next cursor (limit ${limit})`);
      const times = items.map((b) => `${b.timeRequested} ${b.id}`);
      assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
    }
    assert.deepEqual((await walk(api, '', 100)).ids, [...made].reverse().map((b) => b.id));
  });

  it('filters by resource, type, state and source', async () => {
    const api = fixture();
    assert.deepEqual((await walk(api, `&resourceId=${resA}`, 2)).ids.sort(), made.filter((b) => b.resourceId === resA).map((b) => b.id).sort());
    assert.deepEqual((await walk(api, '&type=FULL', 2)).ids.sort(), made.filter((b) => b.type === 'FULL').map((b) => b.id).sort());
    assert.deepEqual((await walk(api, `&type=INCREMENTAL&resourceId=${resB}`, 2)).ids, [made[6]!.id]);
    assert.equal((await walk(api, '&state=AVAILABLE', 3)).ids.length, made.length);
    assert.deepEqual((await walk(api, '&state=FAILED', 3)).ids, []);
    await insertBackup(api, { id: 'bak_scheduled', resourceId: resB, state: 'AVAILABLE', source: 'SCHEDULED' });
    assert.deepEqual((await walk(api, '&source=SCHEDULED', 3)).ids, ['bak_scheduled']);
    assert.equal((await walk(api, '&source=MANUAL', 3)).ids.length, made.length);
  });

  it('rejects a bad cursor, limit or filter value with 400 in the error format', async () => {
    const api = fixture();
    for (const q of ['after=garbage', 'limit=0', 'limit=1001', 'state=GONE', 'type=PARTIAL', 'source=ROBOT', 'color=red']) {
      const res = await api.call('GET', `/v1/backups?${q}`);
      assert.equal(res.status, 400, q);
      assert.equal(res.json.code, 'INVALID_ARGUMENT', q);
    }
  });

  it('deletes a backup: a delete job forgets its snapshot, restic check passes, DELETED is hidden unless asked for', { skip: !existsSync(RESTIC) && 'restic is not installed' }, async () => {
    const api = fixture();
    const victim = made[1]!;
    const before = (await api.call('GET', `/v1/backups/${victim.id}`)).json;
    const snapshot = before.snapshotIds[0] as string;
    const all = snapshotIds(api);
    assert.ok(all.includes(snapshot));

    const res = await api.call('DELETE', `/v1/backups/${victim.id}`);
    assert.equal(res.status, 202, JSON.stringify(res.json));
    assert.equal(res.json.kind, 'delete');
    assert.equal(res.json.backupId, victim.id);
    assert.equal(res.json.resourceId, victim.resourceId);
    const job = await api.waitForJob(res.json.id);
    assert.equal(job.state, 'SUCCEEDED', JSON.stringify(job.error));

    assert.equal((await api.call('GET', `/v1/backups/${victim.id}`)).status, 404);
    assert.ok(!(await walk(api, '', 100)).ids.includes(victim.id));
    const deleted = (await walk(api, '&state=DELETED', 100)).items;
    assert.deepEqual(deleted.map((b) => [b.id, b.state]), [[victim.id, 'DELETED']]);
    const left = snapshotIds(api);
    assert.ok(!left.includes(snapshot), 'restic no longer lists the snapshot');
    assert.deepEqual(left.sort(), all.filter((id) => id !== snapshot).sort(), 'the other snapshots stay');
    assert.match(api.restic(['check']), /no errors were found/);

    const again = await api.call('DELETE', `/v1/backups/${victim.id}`);
    assert.equal(again.status, 404);
    assert.equal(again.json.code, 'NOT_FOUND');
  });

  it('answers CONFLICT for a backup still CREATING, and leaves it as it was', async () => {
    const api = fixture();
    await insertBackup(api, { id: 'bak_creating', resourceId: resB, state: 'CREATING' });
    const res = await api.call('DELETE', '/v1/backups/bak_creating');
    assert.equal(res.status, 409);
    assert.equal(res.json.code, 'CONFLICT');
    assert.equal((await api.call('GET', '/v1/backups/bak_creating')).json.state, 'CREATING');
    assert.deepEqual((await api.call('GET', `/v1/jobs?kind=delete&resourceId=${resB}`)).json.items, []);
  });

  it('keeps tenants apart: another tenant lists none and cannot delete', async () => {
    const api = fixture();
    const other = await api.otherTenantToken('globex');
    const list = await api.call('GET', '/v1/backups?limit=100', { token: other });
    assert.equal(list.status, 200);
    assert.deepEqual(list.json.items, []);
    const target = made[0]!.id;
    const del = await api.call('DELETE', `/v1/backups/${target}`, { token: other });
    assert.equal(del.status, 404);
    assert.equal((await api.call('GET', `/v1/backups/${target}`)).json.state, 'AVAILABLE');
    assert.equal((await api.call('GET', '/v1/backups', { token: null })).status, 401);
    assert.equal((await api.call('DELETE', `/v1/backups/${target}`, { token: null })).status, 401);
  });
});
