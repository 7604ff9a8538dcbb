/**
 * The retry wrapper: it passes the shared suite over a healthy backend, and
 * over a flaky fake (kopia's FaultyStorage) it retries transient failures
 * only, backs off exponentially, and stops when canceled.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fail, type ErrorCode } from '../../src/common/errors.js';
import type { Backend, FileInfo } from '../../src/backend/backend.js';
import { memBackend } from '../../src/backend/mem.js';
import { backoffMs, retryBackend, type RetryInfo } from '../../src/backend/retry.js';
import { backendConformance, collect, handleFor, rejectsWith } from './conformance.js';

backendConformance('retry(mem)', async () => ({
  backend: retryBackend(memBackend(), { sleep: async () => {} }),
  cleanup: async () => {},
}));

type Op = 'create' | 'save' | 'load' | 'stat' | 'remove' | 'hasConfig' | 'list';

/** A backend whose next `failures` calls of `op` throw `code`; `calls` counts every call of it. */
function flaky(inner: Backend, op: Op, failures: number, code: ErrorCode = 'BACKEND_IO') {
  const state = { failures, calls: 0 };
  const maybeFail = (name: string): void => {
    if (name !== op) return;
    state.calls++;
    if (state.failures > 0) {
      state.failures--;
      throw fail(code, `injected ${code} in ${name}`);
    }
  };
  const backend: Backend = {
    location: inner.location,
    create: async (o) => { maybeFail('create'); return inner.create(o); },
    save: async (h, d, o) => { maybeFail('save'); return inner.save(h, d, o); },
    load: async (h, r, o) => { maybeFail('load'); return inner.load(h, r, o); },
    stat: async (h, o) => { maybeFail('stat'); return inner.stat(h, o); },
    remove: async (h, o) => { maybeFail('remove'); return inner.remove(h, o); },
    hasConfig: async (o) => { maybeFail('hasConfig'); return inner.hasConfig(o); },
    close: () => inner.close(),
    list: (t, o) => brokenList(inner.list(t, o), () => maybeFail('list')),
  };
  return { backend, state };
}

/** Yields two entries, then asks `check` whether to break down. */
async function* brokenList(it: AsyncIterable<FileInfo>, check: () => void): AsyncIterable<FileInfo> {
  let n = 0;
  for await (const info of it) {
    if (n++ === 2) check();
    yield info;
  }
}

function recorder() {
  const sleeps: number[] = [];
  const retries: RetryInfo[] = [];
  return {
    sleeps,
    retries,
    opts: { sleep: async (ms: number) => { sleeps.push(ms); }, onRetry: (i: RetryInfo) => { retries.push(i); } },
  };
}

const data = Buffer.from('some pack bytes');
const h = handleFor('data', data);

describe('retry backend', () => {
  it('retries BACKEND_IO until the call succeeds, with doubling delays', async () => {
    const inner = memBackend();
    await inner.save(h, data);
    const { backend, state } = flaky(inner, 'load', 3);
    const rec = recorder();
    assert.deepEqual(await retryBackend(backend, rec.opts).load(h), data);
    assert.equal(state.calls, 4);
    assert.deepEqual(rec.sleeps, [100, 200, 400]);
    assert.deepEqual(rec.retries.map((r) => [r.op, r.attempt]), [1, 2, 3].map((n) => [`load data/${h.name.slice(0, 8)}`, n]));
    assert.match(String(rec.retries[0]!.error), /injected BACKEND_IO/);
  });

  for (const op of ['create', 'save', 'stat', 'remove', 'hasConfig'] as const) {
    it(`retries ${op}`, async () => {
      const inner = memBackend();
      await inner.save(h, data);
      const { backend, state } = flaky(inner, op, 2);
      const be = retryBackend(backend, recorder().opts);
      const calls: Record<typeof op, () => Promise<unknown>> = {
        create: () => be.create(), save: () => be.save(h, data), stat: () => be.stat(h),
        remove: () => be.remove(h), hasConfig: () => be.hasConfig(),
      };
      await calls[op]();
      assert.equal(state.calls, 3);
    });
  }

  it('gives up after `retries` retries and keeps the error code', async () => {
    const { backend, state } = flaky(memBackend(), 'stat', 100);
    const rec = recorder();
    const err = await rejectsWith(retryBackend(backend, { ...rec.opts, retries: 2, baseDelayMs: 10 }).stat(h), 'BACKEND_IO');
    assert.equal(state.calls, 3);
    assert.deepEqual(rec.sleeps, [10, 20]);
    assert.match(err.message, /gave up after 3 attempts/);
  });

  for (const code of ['NOT_FOUND', 'NO_SPACE', 'INVALID_DATA', 'CANCELED'] as const) {
    it(`does not retry ${code}`, async () => {
      const { backend, state } = flaky(memBackend(), 'save', 1, code);
      const rec = recorder();
      await rejectsWith(retryBackend(backend, rec.opts).save(h, data), code);
      assert.equal(state.calls, 1);
      assert.deepEqual(rec.retries, []);
    });
  }

  it('passes a missing file straight through as NOT_FOUND', async () => {
    const rec = recorder();
    await rejectsWith(retryBackend(memBackend(), rec.opts).load(h), 'NOT_FOUND');
    assert.deepEqual(rec.sleeps, []);
  });

  it('does not retry errors from outside the catalog', async () => {
    let calls = 0;
    const { backend } = flaky(memBackend(), 'stat', 0);
    const be = retryBackend({ ...backend, stat: async () => { calls++; throw new TypeError('bug'); } }, recorder().opts);
    await assert.rejects(be.stat(h), TypeError);
    assert.equal(calls, 1);
  });

  it('stops retrying when the signal aborts during the wait', async () => {
    const { backend, state } = flaky(memBackend(), 'load', 100);
    const ctl = new AbortController();
    const be = retryBackend(backend, { sleep: async () => { ctl.abort(); } });
    await rejectsWith(be.load(h, undefined, { signal: ctl.signal }), 'CANCELED');
    assert.equal(state.calls, 1);
  });

  it('cancels a real (default) sleep at once', async () => {
    const { backend, state } = flaky(memBackend(), 'load', 100);
    const ctl = new AbortController();
    const be = retryBackend(backend, { baseDelayMs: 60_000, onRetry: () => setImmediate(() => ctl.abort()) });
    const started = process.hrtime.bigint();
    await rejectsWith(be.load(h, undefined, { signal: ctl.signal }), 'CANCELED');
    assert.ok(process.hrtime.bigint() - started < 5_000_000_000n);
    assert.equal(state.calls, 1);
  });

  it('restarts a broken listing without repeating names', async () => {
    const inner = memBackend();
    const files = Array.from({ length: 6 }, (_, i) => Buffer.from(`file ${i}`));
    for (const f of files) await inner.save(handleFor('index', f), f);
    const { backend, state } = flaky(inner, 'list', 2);
    const listed = [];
    for await (const info of retryBackend(backend, recorder().opts).list('index')) listed.push(info.name);
    assert.equal(state.calls, 3);
    assert.equal(listed.length, 6);
    assert.deepEqual(new Set(listed), new Set(files.map((f) => handleFor('index', f).name)));
    assert.equal((await collect(inner.list('index'))).length, 6);
  });

  it('caps the delay at 5 s', () => {
    assert.deepEqual([1, 2, 3, 6, 7, 20].map((a) => backoffMs(a, 100)), [100, 200, 400, 3200, 5000, 5000]);
  });

  it('unwraps to the inner backend and shares its location', () => {
    const inner = memBackend('mem:test');
    const be = retryBackend(inner);
    assert.equal(be.unwrap(), inner);
    assert.equal(be.location, 'mem:test');
  });
});
