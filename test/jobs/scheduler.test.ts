/**
 * The policy scheduler against a real catalog on every dialect, with an
 * injected clock: ticks fire at the cron times (one backup per resource per
 * tick), a long outage gives one catch-up run, a busy resource is skipped for
 * the tick, retention deletes what the rules no longer keep (one deletion per
 * resource at a time), and two schedulers sharing a catalog fire each tick once.
 */
import { it } from 'node:test';
import { systemClock } from '../../src/common/clock.js';
import assert from 'node:assert/strict';
import { openCatalog, type Backup, type Catalog, type Policy } from '../../src/catalog/index.js';
import { createScheduler, nextRunAfter, type ScheduledBackupRequest, type Scheduler } from '../../src/jobs/scheduler.js';
import { forEachTarget, testClock, useCatalog, type Target, type TestClock } from '../catalog/targets.js';

const T = 'ten_sched';
const iso = (ms: number): string => new Date(ms).toISOString();
const at = (hhmmss: string): number => Date.parse(`2026-05-04T${hhmmss}Z`);

function backupRow(id: string, resourceId: string, time: number, extra: Partial<Backup> = {}): Backup {
  return {
    id, tenantId: T, resourceId, name: id, description: '', type: 'INCREMENTAL', source: 'SCHEDULED', state: 'AVAILABLE', logicalBytes: 1, storedBytes: 1,
    snapshotIds: [], timeRequested: iso(time), timeImaged: null, timeAvailable: null, expiresAt: null, keepForever: false, tags: {}, parentId: null, jobId: null,
    extra: {}, ...extra,
  };
}

/** A scheduler whose backup requests do what the real use case does to the catalog: a mutating job and a CREATING backup. */
function harness(catalog: Catalog, clock: TestClock, name: string) {
  const calls: ScheduledBackupRequest[] = [];
  const deletions: string[] = [];
  let n = 0;
  const scheduler: Scheduler = createScheduler({
    catalog, clock,
    requestBackup: async (req) => {
      calls.push(req);
      const id = `${name}_b${n++}`;
      await catalog.jobs.create({ id: `job_${id}`, tenantId: T, kind: 'backup', resourceId: req.resourceId, backupId: id, mutating: true, params: {} });
      await catalog.backups.create(backupRow(id, req.resourceId, Number(clock.nowNs() / 1_000_000n), {
        state: 'CREATING', expiresAt: req.expiresAt ?? null, extra: { policyId: req.policy.id },
      }));
      return { backupId: id };
    },
    deleteBackup: async (tenantId, backupId) => {
      const b = await catalog.backups.get(tenantId, backupId);
      await catalog.jobs.create({ id: `job_del_${backupId}`, tenantId, kind: 'delete', resourceId: b!.resourceId, backupId, mutating: true, params: {} });
      deletions.push(backupId);
    },
  });
  return { scheduler, calls, deletions };
}

/** Runs every queued job to success: backups become AVAILABLE, deleted ones DELETED. */
async function completeJobs(c: Catalog): Promise<void> {
  for (let j = await c.jobs.claim('w', 60_000); j !== undefined; j = await c.jobs.claim('w', 60_000)) {
    if (j.backupId !== null) await c.backups.update(j.tenantId, j.backupId, { state: j.kind === 'delete' ? 'DELETED' : 'AVAILABLE' });
    await c.jobs.finish(j.id, 'w', 'SUCCEEDED');
  }
}

async function policy(c: Catalog, name: string, resourceIds: string[], schedule: string, nowMs: number, extra: Partial<Policy> = {}): Promise<Policy> {
  return c.policies.create({
    id: `pol_${name}`, tenantId: T, name, resourceIds, schedule, timezone: 'UTC', backupType: 'INCREMENTAL', retention: {},
    nextRunAt: nextRunAfter(schedule, 'UTC', nowMs), ...extra,
  });
}

function suite(target: Target): void {
  const catalog = useCatalog(target, testClock(at('00:00:00')));

  it('fires at the cron times, one backup per resource per tick, with the expiration of the rules', async () => {
    const c = catalog();
    const clock = testClock(at('10:20:00'));
    const p = await policy(c, 'hourly', ['rA', 'rB'], '0 * * * *', at('10:20:00'), { retention: { expireAfter: '2h' } });
    const { scheduler, calls } = harness(c, clock, 'hourly');
    assert.equal((await scheduler.runOnce()).fired.length, 0);
    clock.advance(at('10:59:59') - at('10:20:00'));
    assert.equal((await scheduler.runOnce()).fired.length, 0, 'not before the tick');
    clock.advance(1000);
    const first = await scheduler.runOnce();
    assert.deepEqual(first.fired.map((f) => f.resourceId), ['rA', 'rB']);
    assert.deepEqual(calls.map((x) => x.expiresAt), [iso(at('13:00:00')), iso(at('13:00:00'))]);
    const stored = await c.backups.get(T, first.fired[0]!.backupId);
    assert.deepEqual([stored?.source, stored?.extra['policyId']], ['SCHEDULED', p.id]);
    assert.equal((await c.policies.get(T, p.id))?.nextRunAt, iso(at('12:00:00')));
    await completeJobs(c);
    clock.advance(30_000);
    assert.equal((await scheduler.runOnce()).fired.length, 0, 'one run per tick');
    clock.advance(at('12:00:00') - at('11:00:30'));
    assert.equal((await scheduler.runOnce()).fired.length, 2);
    assert.equal(calls.length, 4);
    await completeJobs(c);
    await c.policies.delete(T, p.id);
  });

  it('after an outage fires one catch-up run, then keeps to the schedule', async () => {
    const c = catalog();
    const clock = testClock(at('15:30:00'));
    const p = await policy(c, 'catchup', ['rC'], '0 * * * *', at('10:30:00'));
    assert.equal(p.nextRunAt, iso(at('11:00:00')));
    const { scheduler } = harness(c, clock, 'catchup');
    assert.equal((await scheduler.runOnce()).fired.length, 1, 'five missed ticks, one catch-up backup');
    assert.equal((await c.policies.get(T, p.id))?.nextRunAt, iso(at('16:00:00')));
    await completeJobs(c);
    assert.equal((await scheduler.runOnce()).fired.length, 0);
    clock.advance(30 * 60_000);
    assert.equal((await scheduler.runOnce()).fired.length, 1);
    await completeJobs(c);
    await c.policies.delete(T, p.id);
  });

  it('skips a resource busy with a mutating job for that tick only', async () => {
    const c = catalog();
    const clock = testClock(at('08:00:00'));
    const p = await policy(c, 'busy', ['rBusy', 'rFree'], '*/10 * * * *', at('07:55:00'));
    await c.jobs.create({ id: 'job_running', tenantId: T, kind: 'restore', resourceId: 'rBusy', backupId: null, mutating: true, params: {} });
    const { scheduler } = harness(c, clock, 'busy');
    const report = await scheduler.runOnce();
    assert.deepEqual(report.fired.map((f) => f.resourceId), ['rFree']);
    assert.deepEqual(report.skipped.map((s) => [s.resourceId, s.reason]), [['rBusy', 'a mutating job of the resource is running']]);
    await completeJobs(c);
    clock.advance(10 * 60_000);
    assert.deepEqual((await scheduler.runOnce()).fired.map((f) => f.resourceId), ['rBusy', 'rFree']);
    await completeJobs(c);
    await c.policies.delete(T, p.id);
  });

  it('deletes what retention no longer keeps, never MANUAL, keep-forever or other policies\' backups', async () => {
    const c = catalog();
    const clock = testClock(at('20:00:00'));
    const p = await policy(c, 'keep2', ['rK'], '0 0 1 1 *', at('20:00:00'), { retention: { keepLast: 2 } });
    const h = (x: number): number => at('20:00:00') - x * 3_600_000;
    for (const [id, hoursAgo] of [['k1', 1], ['k2', 2], ['k3', 3], ['k4', 4]] as const) {
      await c.backups.create(backupRow(id, 'rK', h(hoursAgo), { extra: { policyId: p.id } }));
    }
    await c.backups.create(backupRow('kManual', 'rK', h(9), { source: 'MANUAL', extra: { policyId: p.id } }));
    await c.backups.create(backupRow('kForever', 'rK', h(8), { keepForever: true, extra: { policyId: p.id } }));
    await c.backups.create(backupRow('kOther', 'rK', h(7), { extra: { policyId: 'pol_other' } }));
    const { scheduler, deletions } = harness(c, clock, 'keep2');
    assert.deepEqual((await scheduler.runOnce()).deleted.map((d) => d.backupId), ['k4'], 'one deletion at a time per resource');
    assert.deepEqual((await scheduler.runOnce()).deleted, [], 'the resource is busy with the deletion');
    await completeJobs(c);
    assert.deepEqual((await scheduler.runOnce()).deleted.map((d) => d.backupId), ['k3']);
    await completeJobs(c);
    assert.deepEqual((await scheduler.runOnce()).deleted, []);
    assert.deepEqual(deletions, ['k4', 'k3']);
    const left = (await c.backups.list(T, { resourceId: 'rK', state: 'AVAILABLE' }, { limit: 100 })).items.map((b) => b.id).sort();
    assert.deepEqual(left, ['k1', 'k2', 'kForever', 'kManual', 'kOther']);
    await c.policies.delete(T, p.id);
  });

  it('expires the policy\'s backups of a resource it no longer covers, and fires no more for it', async () => {
    const c = catalog();
    const clock = testClock(at('06:30:00'));
    const p = await policy(c, 'dropped', ['rStay'], '0 * * * *', at('06:30:00'), { retention: { expireAfter: '1h' } });
    await c.backups.create(backupRow('dGone', 'rGone', at('05:00:00'), { expiresAt: iso(at('06:00:00')), extra: { policyId: p.id } }));
    await c.backups.create(backupRow('dYoung', 'rGone', at('06:00:00'), { expiresAt: iso(at('07:00:00')), extra: { policyId: p.id } }));
    const { scheduler, deletions } = harness(c, clock, 'dropped');
    const report = await scheduler.runOnce();
    assert.deepEqual(report.deleted.map((d) => d.backupId), ['dGone'], 'expired although rGone left the policy');
    assert.deepEqual(report.fired, []);
    await completeJobs(c);
    clock.advance(at('07:00:00') - at('06:30:00'));
    const next = await scheduler.runOnce();
    assert.deepEqual(next.fired.map((f) => f.resourceId), ['rStay'], 'only the covered resource gets new backups');
    assert.deepEqual(next.deleted.map((d) => d.backupId), ['dYoung']);
    assert.deepEqual(deletions, ['dGone', 'dYoung']);
    await completeJobs(c);
    await c.policies.delete(T, p.id);
  });

  it('expires the SCHEDULED backups of a policy that is gone, of a tenant with no policy left', async () => {
    const c = catalog();
    const O = 'ten_orphan';
    await c.tenants.create({ id: O, name: 'orphans', aliases: {} });
    const clock = testClock(at('12:00:00'));
    const row = (id: string, expires: string | null, extra: Partial<Backup> = {}): Backup =>
      backupRow(id, 'rO', at('01:00:00'), { tenantId: O, expiresAt: expires, extra: { policyId: 'pol_gone' }, ...extra });
    await c.backups.create(row('oExpired', iso(at('11:00:00'))));
    await c.backups.create(row('oLater', iso(at('13:00:00'))));
    await c.backups.create(row('oNoExpiry', null));
    await c.backups.create(row('oManual', iso(at('11:00:00')), { source: 'MANUAL', resourceId: 'rM' }));
    await c.backups.create(row('oForever', iso(at('11:00:00')), { keepForever: true, resourceId: 'rF' }));
    const { scheduler, deletions } = harness(c, clock, 'orphans');
    assert.deepEqual((await scheduler.runOnce()).deleted, [{ policyId: 'pol_gone', backupId: 'oExpired' }]);
    await completeJobs(c);
    assert.deepEqual((await scheduler.runOnce()).deleted, [], 'keep rules of a deleted policy no longer apply; only expiry does');
    clock.advance(at('13:00:00') - at('12:00:00'));
    assert.deepEqual((await scheduler.runOnce()).deleted.map((d) => d.backupId), ['oLater']);
    assert.deepEqual(deletions, ['oExpired', 'oLater']);
    await completeJobs(c);
  });

  it('lets only one of two schedulers sharing the catalog fire each tick', async () => {
    const c1 = catalog();
    const c2 = target.name === 'sqlite-memory' ? c1 : await openCatalog(target.url(), testClock(at('00:00:00')));
    try {
      const resources = ['rP1', 'rP2', 'rP3'];
      const p = await policy(c1, 'shared', resources, '* * * * *', at('05:00:30'));
      const clock = testClock(at('05:00:30'));
      const one = harness(c1, clock, 'one');
      const two = harness(c2, clock, 'two');
      for (let tick = 1; tick <= 5; tick++) {
        clock.advance(60_000);
        await Promise.all([one.scheduler.runOnce(), two.scheduler.runOnce()]);
        assert.equal(one.calls.length + two.calls.length, resources.length * tick, `tick ${tick} fired by exactly one scheduler`);
        await completeJobs(c1);
      }
      await c1.policies.delete(T, p.id);
    } finally {
      if (c2 !== c1) await c2.close();
    }
  });

  it('gives a policy with no next run one, without firing for it', async () => {
    const c = catalog();
    const clock = testClock(at('09:10:00'));
    const p = await policy(c, 'fresh', ['rF'], '30 9 * * *', 0, { nextRunAt: null, timezone: 'Europe/Berlin' });
    const { scheduler } = harness(c, clock, 'fresh');
    assert.equal((await scheduler.runOnce()).fired.length, 0);
    assert.equal((await c.policies.get(T, p.id))?.nextRunAt, '2026-05-05T07:30:00.000Z', '09:30 in Berlin (CEST) is 07:30 UTC');
    await c.policies.delete(T, p.id);
  });
}

forEachTarget(suite);

it('runs by itself on the real clock once started, and not after stop', async () => {
  const c = await openCatalog('sqlite::memory:', systemClock);
  try {
    await c.policies.create({
      id: 'pol_live', tenantId: T, name: 'live', resourceIds: ['rL'], schedule: '* * * * * *', timezone: 'UTC', backupType: 'INCREMENTAL', retention: {},
      nextRunAt: nextRunAfter('* * * * * *', 'UTC', Date.now()),
    });
    const fired: number[] = [];
    const scheduler = createScheduler({
      catalog: c, clock: systemClock, pollMs: 5000,
      requestBackup: async () => { fired.push(Date.now()); return { backupId: `b${fired.length}` }; },
      deleteBackup: async () => undefined,
    });
    scheduler.start();
    for (let i = 0; i < 60 && fired.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    await scheduler.stop();
    assert.ok(fired.length >= 2, `fired ${fired.length} times in 3 s on a per-second schedule`);
    const count = fired.length;
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(fired.length, count, 'nothing fires after stop');
  } finally {
    await c.close();
  }
});
