/**
 * The job queue on every dialect: one mutating job per resource, claims with
 * leases, heartbeats, finish and retry conditioned on the lease, reclaiming a
 * crashed runner's job, cancel semantics, isolation and paging; on PostgreSQL
 * also parallel claimers on separate catalogs, which must never double-claim.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { isHoldfastError } from '../../src/common/errors.js';
import { openCatalog, type Catalog, type NewJob } from '../../src/catalog/index.js';
import { forEachTarget, testClock, useCatalog, type Target } from './targets.js';

const PROGRESS = { percent: 50, bytesDone: 5, bytesTotal: 10, filesDone: 1, bytesPerSecond: 2 };

function job(id: string, extra: Partial<NewJob> = {}): NewJob {
  return { id, tenantId: 't1', kind: 'backup', resourceId: null, backupId: null, mutating: false, params: { id }, ...extra };
}

async function drain(c: Catalog, owner: string): Promise<string[]> {
  const got: string[] = [];
  for (let j = await c.jobs.claim(owner, 60_000); j !== undefined; j = await c.jobs.claim(owner, 60_000)) got.push(j.id);
  return got;
}

function suite(target: Target): void {
  const clock = testClock();
  const catalog = useCatalog(target, clock);

  it('allows one mutating job per resource at a time', async () => {
    const c = catalog();
    await c.jobs.create(job('m1', { resourceId: 'r1', mutating: true }));
    await assert.rejects(c.jobs.create(job('m2', { resourceId: 'r1', mutating: true })),
      (err: unknown) => isHoldfastError(err, 'CONFLICT') && err.data.jobId === 'm1');
    clock.advance(1);
    await c.jobs.create(job('ro', { resourceId: 'r1', mutating: false }));
    clock.advance(1);
    await c.jobs.create(job('m3', { resourceId: 'r2', mutating: true }));
    await assert.rejects(c.jobs.create(job('m1')), (err: unknown) => isHoldfastError(err, 'ALREADY_EXISTS'));
    const claimed = await drain(c, 'w');
    assert.deepEqual(claimed, ['m1', 'ro', 'm3']);
    await assert.rejects(c.jobs.create(job('m4', { resourceId: 'r1', mutating: true })), (err: unknown) => isHoldfastError(err, 'CONFLICT'));
    assert.equal(await c.jobs.finish('m1', 'w', 'SUCCEEDED'), true);
    await c.jobs.create(job('m4', { resourceId: 'r1', mutating: true }));
    for (const id of ['ro', 'm3']) await c.jobs.finish(id, 'w', 'SUCCEEDED');
    assert.deepEqual(await drain(c, 'w'), ['m4']);
    await c.jobs.finish('m4', 'w', 'FAILED', { code: 'BACKEND_IO', message: 'disk gone' });
    assert.deepEqual((await c.jobs.get('t1', 'm4'))?.error, { code: 'BACKEND_IO', message: 'disk gone' });
  });

  it('claims with a lease, heartbeats, and finishes only while holding it', async () => {
    const c = catalog();
    await c.jobs.create(job('l1', { runAfter: '2030-01-01T00:00:00.000Z' }));
    assert.equal(await c.jobs.claim('a', 1000), undefined, 'not due yet');
    await c.jobs.create(job('l2'));
    const got = await c.jobs.claim('a', 1000);
    assert.deepEqual([got?.id, got?.state, got?.leaseOwner, got?.attempts], ['l2', 'IN_PROGRESS', 'a', 1]);
    assert.equal(got?.startedAt, got?.createdAt);
    clock.advance(500);
    assert.deepEqual(await c.jobs.heartbeat('l2', 'a', PROGRESS, 1000), { held: true, cancelRequested: false });
    assert.deepEqual((await c.jobs.get('t1', 'l2'))?.progress, PROGRESS);
    clock.advance(900);
    assert.equal(await c.jobs.claim('b', 1000), undefined, 'the heartbeat extended the lease');
    assert.deepEqual(await c.jobs.heartbeat('l2', 'b', PROGRESS, 1000), { held: false, cancelRequested: false });
    assert.equal(await c.jobs.finish('l2', 'b', 'SUCCEEDED'), false);
    assert.equal(await c.jobs.finish('l2', 'a', 'SUCCEEDED'), true);
    assert.equal(await c.jobs.finish('l2', 'a', 'SUCCEEDED'), false, 'finishing twice');
    const done = await c.jobs.get('t1', 'l2');
    assert.deepEqual([done?.state, done?.leaseExpiresAt, done?.finishedAt !== null], ['SUCCEEDED', null, true]);
  });

  it('reclaims the job of a crashed runner once its lease expires', async () => {
    const c = catalog();
    await c.jobs.create(job('x1', { runAfter: '2000-01-01T00:00:00.000Z' }));
    const first = await c.jobs.claim('crashed', 1000);
    assert.equal(first?.id, 'x1');
    clock.advance(999);
    assert.equal(await c.jobs.claim('rescuer', 1000), undefined);
    clock.advance(1);
    const again = await c.jobs.claim('rescuer', 1000);
    assert.deepEqual([again?.id, again?.leaseOwner, again?.attempts, again?.startedAt], ['x1', 'rescuer', 2, first?.startedAt]);
    assert.equal((await c.jobs.heartbeat('x1', 'crashed', PROGRESS, 1000)).held, false);
    assert.equal(await c.jobs.finish('x1', 'crashed', 'FAILED'), false);
    assert.equal(await c.jobs.retryLater('x1', 'rescuer', '2000-01-01T00:00:00.000Z', { code: 'BACKEND_IO', message: 'retry' }), true);
    const back = await c.jobs.get('t1', 'x1');
    assert.deepEqual([back?.state, back?.leaseOwner, back?.error?.code], ['ACCEPTED', null, 'BACKEND_IO']);
    assert.equal((await c.jobs.claim('rescuer', 1000))?.attempts, 3);
    await c.jobs.finish('x1', 'rescuer', 'SUCCEEDED');
  });

  it('cancels an accepted job at once and flags a running one', async () => {
    const c = catalog();
    await c.jobs.create(job('c1', { runAfter: '2099-01-01T00:00:00.000Z' }));
    assert.equal(await c.jobs.requestCancel('t2', 'c1'), undefined, 'another tenant cannot cancel');
    assert.equal((await c.jobs.get('t1', 'c1'))?.state, 'ACCEPTED');
    const canceled = await c.jobs.requestCancel('t1', 'c1');
    assert.equal(canceled?.state, 'CANCELED');
    assert.notEqual(canceled?.finishedAt, null);
    await c.jobs.create(job('c2'));
    assert.equal((await c.jobs.claim('w', 1000))?.id, 'c2');
    const flagged = await c.jobs.requestCancel('t1', 'c2');
    assert.deepEqual([flagged?.state, flagged?.cancelRequested], ['IN_PROGRESS', true]);
    assert.deepEqual(await c.jobs.heartbeat('c2', 'w', PROGRESS, 1000), { held: true, cancelRequested: true });
    assert.equal(await c.jobs.finish('c2', 'w', 'CANCELED', { code: 'CANCELED', message: 'canceled' }), true);
    assert.equal((await c.jobs.requestCancel('t1', 'c2'))?.state, 'CANCELED', 'a finished job stays as it is');
  });

  it('isolates tenants and pages jobs newest first', async () => {
    const c = catalog();
    for (let i = 0; i < 5; i++) {
      clock.advance(i % 2);
      await c.jobs.create(job(`p${i}`, { tenantId: 'tp', kind: i === 4 ? 'restore' : 'backup', runAfter: '2099-01-01T00:00:00.000Z' }));
    }
    assert.equal(await c.jobs.get('t1', 'p0'), undefined);
    assert.deepEqual((await c.jobs.list('t1', {}, { limit: 100 })).items.filter((j) => j.tenantId !== 't1'), []);
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await c.jobs.list('tp', { kind: 'backup', state: 'ACCEPTED' }, { limit: 2, ...(after === undefined ? {} : { after }) });
      seen.push(...page.items.map((j) => j.id));
      after = page.next;
    } while (after !== undefined);
    assert.deepEqual(seen, ['p3', 'p2', 'p1', 'p0']);
  });
}

/** Separate catalogs (separate pools) claim in parallel; every job must be claimed exactly once. */
function concurrency(target: Target): void {
  const clock = testClock();
  const catalog = useCatalog(target, clock);

  it('never hands one job to two parallel claimers', async () => {
    const claimers = await Promise.all([0, 1, 2, 3].map(() => openCatalog(target.url(), clock)));
    try {
      for (let i = 0; i < 20; i++) await catalog().jobs.create(job(`j${String(i).padStart(2, '0')}`, { tenantId: 'tc' }));
      const results = await Promise.all(claimers.map((c, n) => drain(c, `w${n}`)));
      assert.ok(results.filter((r) => r.length > 0).length > 1, 'the claimers really ran in parallel');
      const all = results.flat().sort();
      assert.equal(all.length, 20, `claimed ${all.length} times: ${JSON.stringify(results)}`);
      assert.equal(new Set(all).size, 20);
      const jobs = (await catalog().jobs.list('tc', {}, { limit: 100 })).items;
      assert.ok(jobs.every((j) => j.state === 'IN_PROGRESS' && j.attempts === 1));
    } finally {
      await Promise.all(claimers.map((c) => c.close()));
    }
  });
}

forEachTarget(suite);
forEachTarget(concurrency, { memory: false });
