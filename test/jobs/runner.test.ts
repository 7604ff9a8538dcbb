/**
 * The runner against real catalogs (SQLite, PostgreSQL) with fake handlers:
 * a backup whose job ends FAILED or CANCELED ends FAILED by every path (last
 * transient retry, permanent error, cancel before and while running); a
 * restart releases the leases of its own dead incarnation and of dead local
 * owners at once, but not those of other hosts; stopping releases running
 * jobs for the next start instead of failing them.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fail } from '../../src/common/errors.js';
import { systemClock } from '../../src/common/clock.js';
import { openCatalog, type Backup, type Catalog, type Job } from '../../src/catalog/index.js';
import { createRunner, deadLocalOwner, type JobHandler, type RunnerOptions } from '../../src/jobs/runner.js';
import { forEachTarget } from '../catalog/targets.js';

const TENANT = 't1';
const SELF = { hostname: 'node-a', pid: 4242, started: 's1', isProcessAlive: (pid: number) => pid === 4242 || pid === 77 };
const OWNER = 'node-a:4242:s1';

function backupRow(id: string, jobId: string): Backup {
  return {
    id, tenantId: TENANT, resourceId: `res_${id}`, name: id, description: '', type: 'FULL', source: 'MANUAL', state: 'CREATING',
    logicalBytes: null, storedBytes: null, snapshotIds: [], timeRequested: '2026-01-01T00:00:00.000Z', timeImaged: null,
    timeAvailable: null, expiresAt: null, keepForever: false, tags: {}, parentId: null, jobId, extra: {},
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (performance.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// Tests of one target share its database: every test uses its own job ids and leaves no runnable job behind.
forEachTarget((target) => {
  let catalog: Catalog;
  const stops: (() => Promise<void>)[] = [];
  before(async () => { catalog = await openCatalog(target.url(), systemClock); });
  after(async () => { await catalog.close(); });
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  const runner = (handler: JobHandler, extra: Partial<RunnerOptions> = {}) => {
    const r = createRunner({ catalog, clock: systemClock, owner: OWNER, handlers: { backup: handler }, pollMs: 10, backoffMs: 1, heartbeatMs: 20, ...extra });
    stops.push(() => r.stop());
    return r;
  };
  const queue = async (id: string): Promise<void> => {
    await catalog.jobs.create({ id: `job_${id}`, tenantId: TENANT, kind: 'backup', resourceId: `res_${id}`, backupId: id, mutating: true, params: {} });
    await catalog.backups.create(backupRow(id, `job_${id}`));
  };
  const job = async (id: string): Promise<Job> => (await catalog.jobs.get(TENANT, `job_${id}`))!;
  const backupState = async (id: string): Promise<string> => (await catalog.backups.get(TENANT, id))!.state;
  const settled = (id: string) => until(`job ${id} to settle`, async () => {
    const j = await job(id);
    return ['SUCCEEDED', 'FAILED', 'CANCELED'].includes(j.state) ? j : undefined;
  });

  it('fails the backup when a transient failure hits the last retry', async () => {
    await queue('b1');
    let calls = 0;
    runner(async () => { calls++; throw fail('BACKEND_IO', 'the disk went away'); }, { maxAttempts: 3 }).start();
    const j = await settled('b1');
    assert.deepEqual([j.state, j.attempts, j.error?.code, calls], ['FAILED', 3, 'BACKEND_IO', 3]);
    assert.equal(await backupState('b1'), 'FAILED');
  });

  it('keeps the backup CREATING while a transient failure is still retried', async () => {
    await queue('b2');
    runner(async () => { throw fail('BACKEND_IO', 'flaky'); }, { maxAttempts: 5, backoffMs: 60_000 }).start();
    const j = await until('the first retry to be scheduled', async () => { const x = await job('b2'); return x.error === null ? undefined : x; });
    assert.deepEqual([j.state, j.attempts, await backupState('b2')], ['ACCEPTED', 1, 'CREATING']);
  });

  it('fails the backup on a permanent error at once', async () => {
    await queue('b3');
    runner(async () => { throw fail('SOURCE_UNREADABLE', 'gone'); }).start();
    const j = await settled('b3');
    assert.deepEqual([j.state, j.attempts, await backupState('b3')], ['FAILED', 1, 'FAILED']);
  });

  it('fails the backup when its job is canceled, queued or running', async () => {
    await queue('q1');
    const queued = await catalog.jobs.requestCancel(TENANT, 'job_q1');
    assert.equal(queued?.state, 'CANCELED');
    assert.equal(await backupState('q1'), 'FAILED');

    await queue('r1');
    let started = false;
    runner(async (_job, ctx) => {
      started = true;
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      throw ctx.signal.reason;
    }).start();
    await until('the job to start', async () => (started ? true : undefined));
    await catalog.jobs.requestCancel(TENANT, 'job_r1');
    const j = await settled('r1');
    assert.deepEqual([j.state, await backupState('r1')], ['CANCELED', 'FAILED']);
  });

  it('leaves a succeeded job\'s backup alone and a restore job never touches the backup it reads', async () => {
    await queue('ok');
    runner(async (j) => { await catalog.backups.update(TENANT, j.backupId!, { state: 'AVAILABLE' }); }).start();
    assert.equal((await settled('ok')).state, 'SUCCEEDED');
    assert.equal(await backupState('ok'), 'AVAILABLE');
    await catalog.jobs.create({ id: 'job_restore', tenantId: TENANT, kind: 'restore', resourceId: 'res_ok', backupId: 'ok', mutating: true, params: {} });
    await catalog.jobs.requestCancel(TENANT, 'job_restore');
    assert.equal(await backupState('ok'), 'AVAILABLE');
  });

  it('at start releases the leases of dead owners on this host (also an earlier process with our pid), not those of live or remote owners', async () => {
    for (const id of ['own', 'dead', 'alive', 'remote']) await queue(id);
    const owners: Record<string, string> = { own: 'node-a:4242:s0', dead: 'node-a:999:s0', alive: 'node-a:77:s0', remote: 'node-b:999:s0' };
    for (let claimed = await catalog.jobs.claim('tmp', 60_000); claimed !== undefined; claimed = await catalog.jobs.claim('tmp', 60_000)) {
      const name = claimed.backupId!;
      assert.equal(await catalog.jobs.release(claimed.id, 'tmp'), true);
      await catalog.jobs.claim(owners[name]!, 60_000);
    }
    assert.deepEqual((await catalog.jobs.leases()).map((l) => l.owner).sort(), Object.values(owners).sort());
    const ran: string[] = [];
    const reclaimed: string[] = [];
    runner(async (j) => { ran.push(j.backupId!); await catalog.backups.update(TENANT, j.backupId!, { state: 'AVAILABLE' }); },
      { isOwnerGone: deadLocalOwner(SELF), onReclaim: (l) => reclaimed.push(l.owner) }).start();
    for (const id of ['own', 'dead']) {
      const j = await settled(id);
      assert.deepEqual([j.state, j.attempts, j.leaseOwner], ['SUCCEEDED', 3, OWNER], id);
    }
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(ran.sort(), ['dead', 'own']);
    assert.deepEqual(reclaimed.sort(), ['node-a:4242:s0', 'node-a:999:s0']);
    for (const id of ['alive', 'remote']) assert.deepEqual([(await job(id)).state, (await job(id)).leaseOwner], ['IN_PROGRESS', owners[id]], id);
  });

  it('reports progress with the average rate of the attempt', async () => {
    await queue('rate1');
    runner(async (_job, ctx) => {
      await new Promise((r) => setTimeout(r, 200));
      ctx.progress({ bytesDone: 1_000_000, filesDone: 3 });
      await new Promise((r) => setTimeout(r, 150));
      await catalog.backups.update(TENANT, 'rate1', { state: 'AVAILABLE' });
    }).start();
    const seen = await until('progress with a rate', async () => {
      const p = (await job('rate1')).progress;
      return p.bytesDone === 1_000_000 ? p : undefined;
    });
    assert.equal(seen.filesDone, 3);
    // 1 MB after about 200 ms (timers may fire a little early): well under 10 MB/s, and not zero.
    assert.ok(seen.bytesPerSecond > 0 && seen.bytesPerSecond <= 10_000_000, `rate ${seen.bytesPerSecond}`);
  });

  it('on stop releases a running job, which the next start runs again', async () => {
    await queue('s1');
    let started = 0;
    const first = runner(async (_job, ctx) => {
      started++;
      ctx.progress({ bytesDone: 10 });
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      throw ctx.signal.reason;
    });
    first.start();
    await until('the job to start', async () => (started > 0 ? true : undefined));
    await first.stop();
    const released = await job('s1');
    assert.deepEqual([released.state, released.leaseOwner, released.leaseExpiresAt, released.error, released.attempts], ['ACCEPTED', null, null, null, 1]);
    assert.equal(await backupState('s1'), 'CREATING');
    runner(async (j) => { await catalog.backups.update(TENANT, j.backupId!, { state: 'AVAILABLE' }); }).start();
    const j = await settled('s1');
    assert.deepEqual([j.state, j.attempts, await backupState('s1')], ['SUCCEEDED', 2, 'AVAILABLE']);
  });
});

describe('deadLocalOwner', () => {
  const gone = deadLocalOwner(SELF);
  it('calls an owner gone only on this host, with a pid that does not run or is ours from another start', () => {
    assert.equal(gone('node-a:999:s0'), true);
    assert.equal(gone('node-a:4242:s0'), true, 'an earlier process that had our pid');
    assert.equal(gone('node-a:4242:s1'), false, 'ourselves');
    assert.equal(gone('node-a:77:s0'), false, 'alive');
    assert.equal(gone('node-b:999:s0'), false, 'another host cannot be probed');
    for (const odd of ['node-a', 'node-a:999', 'node-a:x:s0', 'node-a:0:s0', 'node-a:999:s0:x', 'node-a.example:999:s0']) assert.equal(gone(odd), false, odd);
  });
});
