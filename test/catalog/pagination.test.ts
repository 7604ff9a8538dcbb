/**
 * The shared keyset pagination and the store additions it came with, on
 * every dialect: backups filtered by source and with DELETED hidden, pages
 * that stay exact while rows are inserted between requests, and idempotency
 * reservations that only their holder can complete or release.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { Backup, Catalog } from '../../src/catalog/index.js';
import { forEachTarget, testClock, useCatalog, type Target } from './targets.js';

function backup(id: string, timeRequested: string, extra: Partial<Backup> = {}): Backup {
  return {
    id, tenantId: 'tk', resourceId: 'r1', name: id, description: '', type: 'FULL', source: 'MANUAL', state: 'AVAILABLE',
    logicalBytes: null, storedBytes: null, snapshotIds: [], timeRequested, timeImaged: null, timeAvailable: null,
    expiresAt: null, keepForever: false, tags: {}, parentId: null, jobId: null, extra: {}, ...extra,
  };
}

async function allIds(c: Catalog, filter: Parameters<Catalog['backups']['list']>[1], limit: number, between?: (page: number) => Promise<void>): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  let page = 0;
  do {
    const got = await c.backups.list('tk', filter, { limit, ...(after === undefined ? {} : { after }) });
    ids.push(...got.items.map((b) => b.id));
    after = got.next;
    await between?.(page++);
  } while (after !== undefined);
  return ids;
}

function suite(target: Target): void {
  const catalog = useCatalog(target, testClock());

  it('filters backups by source and hides DELETED unless the state is asked for', async () => {
    const c = catalog();
    await c.backups.create(backup('s1', '2026-03-01T00:00:01.000Z', { source: 'SCHEDULED' }));
    await c.backups.create(backup('s2', '2026-03-01T00:00:02.000Z', { state: 'DELETED' }));
    await c.backups.create(backup('s3', '2026-03-01T00:00:03.000Z', { source: 'SCHEDULED', state: 'DELETED' }));
    await c.backups.create(backup('s4', '2026-03-01T00:00:04.000Z'));
    assert.deepEqual(await allIds(c, {}, 2), ['s4', 's3', 's2', 's1'], 'nothing hidden unless asked');
    assert.deepEqual(await allIds(c, { hideDeleted: true }, 1), ['s4', 's1']);
    assert.deepEqual(await allIds(c, { hideDeleted: true, state: 'DELETED' }, 1), ['s3', 's2']);
    assert.deepEqual(await allIds(c, { source: 'SCHEDULED' }, 5), ['s3', 's1']);
    assert.deepEqual(await allIds(c, { source: 'SCHEDULED', hideDeleted: true }, 5), ['s1']);
  });

  it('neither skips nor repeats rows when newer ones arrive between pages', async () => {
    const c = catalog();
    const same = '2026-04-01T00:00:00.000Z';
    for (const id of ['t1', 't2', 't3', 't4', 't5']) await c.backups.create(backup(id, same, { resourceId: 'r2' }));
    const ids = await allIds(c, { resourceId: 'r2' }, 2, async (page) => {
      await c.backups.create(backup(`new${page}`, '2026-05-01T00:00:00.000Z', { resourceId: 'r2' }));
    });
    assert.deepEqual(ids, ['t5', 't4', 't3', 't2', 't1'], 'ties on time are ordered by id; later inserts sort before the cursor');
  });

  it('lets only the holder of a reservation complete or release it', async () => {
    const c = catalog();
    const held = await c.idempotency.put('tk', 'native', 'k', { requestHash: 'h', status: 0, body: 'pending:mine' });
    assert.equal(held.body, 'pending:mine');
    assert.equal((await c.idempotency.put('tk', 'native', 'k', { requestHash: 'h', status: 0, body: 'pending:theirs' })).body, 'pending:mine');
    assert.equal(await c.idempotency.complete('tk', 'native', 'k', 'pending:theirs', { status: 201, body: '{}' }), false);
    assert.equal(await c.idempotency.release('tk', 'native', 'k', 'pending:theirs'), false);
    assert.equal(await c.idempotency.complete('tk', 'native', 'k', 'pending:mine', { status: 201, body: '{"id":1}' }), true);
    assert.deepEqual(await c.idempotency.get('tk', 'native', 'k').then((r) => [r?.status, r?.body]), [201, '{"id":1}']);
    assert.equal(await c.idempotency.release('tk', 'native', 'k', 'pending:mine'), false, 'completed: the pending body is gone');
    assert.equal(await c.idempotency.release('tk', 'native', 'k', '{"id":1}'), true);
    assert.equal(await c.idempotency.get('tk', 'native', 'k'), undefined);
  });
}

forEachTarget(suite);
