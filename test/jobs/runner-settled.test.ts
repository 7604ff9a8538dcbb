/**
 * The runner's onSettled hook on a real (in-memory SQLite) catalog: called
 * once per job that reaches an end state, with that state and a duration, and
 * not for an attempt put back for a retry.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../src/common/clock.js';
import { fail } from '../../src/common/errors.js';
import { openCatalog, type Catalog, type JobEndState } from '../../src/catalog/index.js';
import { createRunner } from '../../src/jobs/runner.js';

describe('runner onSettled', () => {
  let catalog: Catalog;
  before(async () => { catalog = await openCatalog('sqlite::memory:', systemClock); });
  after(async () => { await catalog.close(); });

  it('reports each end state once, after retries, with how long the last attempt ran', async () => {
    const settled: Array<{ id: string; state: JobEndState; durationMs: number }> = [];
    let flakyAttempts = 0;
    const runner = createRunner({
      catalog, clock: systemClock, owner: 'test', pollMs: 20, backoffMs: 10, leaseMs: 300,
      handlers: {
        ok: async () => { await new Promise((r) => setTimeout(r, 120)); },
        broken: async () => { throw fail('INVALID_ARGUMENT', 'never works'); },
        flaky: async () => { flakyAttempts += 1; if (flakyAttempts < 3) throw fail('BACKEND_IO', 'not yet'); },
      },
      onSettled: (job, state, durationMs) => settled.push({ id: job.id, state, durationMs }),
    });
    for (const kind of ['ok', 'broken', 'flaky']) {
      await catalog.jobs.create({ id: `job_${kind}`, tenantId: 't', kind, resourceId: null, backupId: null, mutating: false, params: {} });
    }
    runner.start();
    try {
      for (let i = 0; i < 200 && settled.length < 3; i++) await new Promise((r) => setTimeout(r, 25));
    } finally {
      await runner.stop();
    }
    const byId = Object.fromEntries(settled.map((s) => [s.id, s]));
    assert.equal(settled.length, 3, JSON.stringify(settled));
    assert.equal(byId['job_ok']?.state, 'SUCCEEDED');
    assert.ok(byId['job_ok']!.durationMs >= 100 && byId['job_ok']!.durationMs < 10_000, `ok took ${byId['job_ok']!.durationMs} ms`);
    assert.equal(byId['job_broken']?.state, 'FAILED');
    assert.equal(byId['job_flaky']?.state, 'SUCCEEDED');
    assert.equal(flakyAttempts, 3);
    assert.equal((await catalog.jobs.get('t', 'job_flaky'))?.state, 'SUCCEEDED');
    assert.deepEqual(await catalog.jobs.countByState(), { ACCEPTED: 0, IN_PROGRESS: 0, SUCCEEDED: 2, FAILED: 1, CANCELED: 0 });
  });

  it('frees a slot as soon as its job settles, not when the next heartbeat would be due', async () => {
    const done: string[] = [];
    const runner = createRunner({
      catalog, clock: systemClock, owner: 'slots', concurrency: 1, pollMs: 20, leaseMs: 60_000,
      handlers: { quick: async () => undefined },
      onSettled: (job) => done.push(job.id),
    });
    for (const n of [1, 2, 3, 4]) {
      await catalog.jobs.create({ id: `quick_${n}`, tenantId: 't', kind: 'quick', resourceId: null, backupId: null, mutating: false, params: {} });
    }
    const started = Date.now();
    runner.start();
    try {
      for (let i = 0; i < 200 && done.length < 4; i++) await new Promise((r) => setTimeout(r, 25));
    } finally {
      await runner.stop();
    }
    // With one slot and a 60 s lease, a slot held until the 20 s heartbeat would let one job through in this time.
    assert.equal(done.length, 4, `settled ${done.join()} in ${Date.now() - started} ms`);
  });
});
