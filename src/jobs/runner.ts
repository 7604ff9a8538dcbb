/**
 * The job runner: claims jobs from the catalog with a lease, runs each with
 * its kind's handler, heartbeats progress, and settles the job. A job whose
 * runner dies keeps its lease only until it expires; another runner (or this
 * one after a restart) then claims it again, so nothing stays half-done.
 * Transient failures are retried with exponential backoff; permanent ones
 * (the error catalog says which) fail the job at once.
 */
import { errorMessage, fail, isHoldfastError } from '../common/errors.js';
import { sleep } from '../common/concurrency.js';
import type { Clock } from '../common/clock.js';
import type { Catalog, Job, JobEndState, JobError, JobProgress } from '../catalog/index.js';

export interface JobContext {
  readonly signal: AbortSignal;
  /** Records progress; it reaches the catalog with the next heartbeat. */
  progress(p: Partial<JobProgress>): void;
}

export type JobHandler = (job: Job, ctx: JobContext) => Promise<void>;

export interface RunnerOptions {
  readonly catalog: Catalog;
  readonly clock: Clock;
  readonly owner: string;
  readonly handlers: Readonly<Record<string, JobHandler>>;
  readonly concurrency?: number;
  readonly leaseMs?: number;
  readonly pollMs?: number;
  readonly maxAttempts?: number;
  readonly backoffMs?: number;
  readonly onError?: (job: Job | undefined, err: unknown) => void;
  /**
   * Called once a job reaches an end state by this runner's hand (not when it
   * is put back for a retry, nor when the lease was lost), with how long this
   * last attempt ran. The server observes job durations here.
   */
  readonly onSettled?: (job: Job, state: JobEndState, durationMs: number) => void;
}

export interface Runner {
  start(): void;
  /** Wakes an idle runner at once (a job was just created). */
  wake(): void;
  /** Stops claiming, aborts running jobs and waits for them to settle. */
  stop(): Promise<void>;
}

export function createRunner(o: RunnerOptions): Runner {
  const concurrency = o.concurrency ?? 2;
  const leaseMs = o.leaseMs ?? 30_000;
  const running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  let stopped = true;
  let loop: Promise<void> = Promise.resolve();
  let wakeUp: (() => void) | undefined;

  const idle = (): Promise<void> => new Promise((resolve) => {
    const timer = setTimeout(resolve, o.pollMs ?? 1000);
    wakeUp = () => { clearTimeout(timer); resolve(); };
  });

  const claimLoop = async (): Promise<void> => {
    while (!stopped) {
      if (running.size >= concurrency) { await Promise.race([...running.values()].map((r) => r.done)); continue; }
      const job = await o.catalog.jobs.claim(o.owner, leaseMs).catch((err: unknown) => { o.onError?.(undefined, err); return undefined; });
      if (job === undefined) { await idle(); continue; }
      const abort = new AbortController();
      const done = runOne(o, job, abort, leaseMs).finally(() => running.delete(job.id));
      running.set(job.id, { abort, done });
    }
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      loop = claimLoop();
    },
    wake() { wakeUp?.(); },
    async stop() {
      stopped = true;
      wakeUp?.();
      for (const r of running.values()) r.abort.abort(fail('CANCELED', 'the server is stopping'));
      await Promise.allSettled([loop, ...[...running.values()].map((r) => r.done)]);
    },
  };
}

/** Runs one claimed job to a settled state, heartbeating while it runs. */
async function runOne(o: RunnerOptions, job: Job, abort: AbortController, leaseMs: number): Promise<void> {
  let progress: JobProgress = job.progress;
  let cancelled = false;
  let beating = true;
  const startedNs = o.clock.nowNs();
  const finish = async (state: JobEndState, error?: JobError): Promise<void> => {
    const settled = await o.catalog.jobs.finish(job.id, o.owner, state, error);
    if (settled) o.onSettled?.(job, state, Number((o.clock.nowNs() - startedNs) / 1_000n) / 1000);
  };
  // Ends the heartbeat's sleep when the job settles, so the slot frees at once, not a third of a lease later.
  const quiet = new AbortController();
  const heartbeat = async (): Promise<void> => {
    while (beating) {
      await sleep(Math.max(50, Math.floor(leaseMs / 3)), quiet.signal).catch(() => undefined);
      if (!beating) return;
      const state = await o.catalog.jobs.heartbeat(job.id, o.owner, progress, leaseMs).catch(() => ({ held: true, cancelRequested: false }));
      if (!state.held) abort.abort(fail('CANCELED', 'the job lease was lost'));
      else if (state.cancelRequested) { cancelled = true; abort.abort(fail('CANCELED', 'the job was canceled')); }
    }
  };
  const beat = heartbeat();
  const handler = o.handlers[job.kind];
  try {
    if (handler === undefined) throw fail('INTERNAL', `no handler for jobs of kind ${job.kind}`);
    await handler(job, { signal: abort.signal, progress: (p) => { progress = { ...progress, ...p }; } });
    beating = false;
    await o.catalog.jobs.heartbeat(job.id, o.owner, { ...progress, percent: 100 }, leaseMs).catch(() => undefined);
    await finish('SUCCEEDED');
  } catch (err) {
    beating = false;
    o.onError?.(job, err);
    await settleFailure(o, job, err, cancelled, finish);
  } finally {
    beating = false;
    quiet.abort();
    await beat;
  }
}

type Finish = (state: JobEndState, error?: JobError) => Promise<void>;

async function settleFailure(o: RunnerOptions, job: Job, err: unknown, cancelled: boolean, finish: Finish): Promise<void> {
  const error = { code: isHoldfastError(err) ? err.code : 'INTERNAL', message: errorMessage(err) };
  if (cancelled) { await finish('CANCELED', error); return; }
  const transient = isHoldfastError(err) ? !err.permanent : false;
  if (transient && job.attempts < (o.maxAttempts ?? 5)) {
    const delayMs = (o.backoffMs ?? 1000) * 2 ** (job.attempts - 1);
    const runAfter = new Date(Number(o.clock.nowNs() / 1_000_000n) + delayMs).toISOString();
    await o.catalog.jobs.retryLater(job.id, o.owner, runAfter, error);
    return;
  }
  await finish('FAILED', error);
}
