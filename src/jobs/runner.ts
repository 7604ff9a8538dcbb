/**
 * The job runner: claims jobs from the catalog with a lease, runs each with
 * its kind's handler, heartbeats progress, and settles the job. A job whose
 * runner dies keeps its lease only until it expires; another runner (or this
 * one after a restart) then claims it again, so nothing stays half-done.
 * A restarted server need not wait for that: a lease whose owner provably no
 * longer runs (this host, a dead pid: the repository's stale-lock rule, or our
 * pid from an earlier start) is released at once; owners on other hosts cannot
 * be probed and keep theirs until it expires. Stopping releases running jobs
 * for the next start rather than failing them. Transient failures are retried
 * with exponential backoff; permanent ones (the error catalog says which) fail
 * the job at once.
 */
import { errorMessage, fail, isHoldfastError } from '../common/errors.js';
import { sleep } from '../common/concurrency.js';
import type { Clock } from '../common/clock.js';
import type { Catalog, Job, JobEndState, JobError, JobLease, JobProgress } from '../catalog/index.js';

export interface JobContext {
  readonly signal: AbortSignal;
  /** Records progress; it reaches the catalog with the next heartbeat. */
  progress(p: Partial<JobProgress>): void;
}

export type JobHandler = (job: Job, ctx: JobContext) => Promise<void>;

export interface RunnerOptions {
  readonly catalog: Catalog;
  readonly clock: Clock;
  /** This runner's lease owner name, `ownerName(identity)` for a server process. */
  readonly owner: string;
  readonly handlers: Readonly<Record<string, JobHandler>>;
  readonly concurrency?: number;
  readonly leaseMs?: number;
  /** How often progress reaches the catalog (the lease is renewed at least every third of leaseMs). */
  readonly heartbeatMs?: number;
  readonly pollMs?: number;
  readonly maxAttempts?: number;
  readonly backoffMs?: number;
  /** Whether another owner provably no longer runs, so its leases can be released now; see `deadLocalOwner`. */
  readonly isOwnerGone?: (owner: string) => boolean;
  readonly onError?: (job: Job | undefined, err: unknown) => void;
  /**
   * Called once a job reaches an end state by this runner's hand (not when it
   * is put back for a retry, nor when the lease was lost), with how long this
   * last attempt ran. The server observes job durations here.
   */
  readonly onSettled?: (job: Job, state: JobEndState, durationMs: number) => void;
  /** Told of each job released because its owner was gone. */
  readonly onReclaim?: (lease: JobLease) => void;
}

export interface Runner {
  start(): void;
  /** Wakes an idle runner at once (a job was just created). */
  wake(): void;
  /** Stops claiming, aborts running jobs and releases them (to run again at the next start). */
  stop(): Promise<void>;
}

/** Who runs a process: host, pid, and when the process started (which tells a reused pid from its previous holder). */
export interface ProcessIdentity {
  readonly hostname: string;
  readonly pid: number;
  /** Fixed for the life of the process; any text without ':'. */
  readonly started: string;
  isProcessAlive(pid: number): boolean;
}

/** The lease owner name of a server process; hostnames never contain ':'. */
export function ownerName(self: Omit<ProcessIdentity, 'isProcessAlive'>): string {
  return `${self.hostname}:${self.pid}:${self.started}`;
}

/**
 * The owners that provably no longer run: on this host, either a pid that is
 * not alive, or our own pid with another start (a previous process that had
 * our pid, as pid 1 in a restarted container). Other hosts cannot be probed.
 */
export function deadLocalOwner(self: ProcessIdentity): (owner: string) => boolean {
  return (owner) => {
    const [host, pidText, started, ...rest] = owner.split(':');
    const pid = Number(pidText);
    if (host !== self.hostname || started === undefined || rest.length > 0 || !Number.isSafeInteger(pid) || pid <= 0) return false;
    return pid === self.pid ? started !== self.started : !self.isProcessAlive(pid);
  };
}

interface Running {
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

export function createRunner(o: RunnerOptions): Runner {
  const concurrency = o.concurrency ?? 2;
  const leaseMs = o.leaseMs ?? 30_000;
  const running = new Map<string, Running>();
  let stopped = true;
  let loop: Promise<void> = Promise.resolve();
  let wakeUp: (() => void) | undefined;
  const stopping = (): boolean => stopped;

  const idle = (): Promise<void> => new Promise((resolve) => {
    const timer = setTimeout(resolve, o.pollMs ?? 1000);
    wakeUp = () => { clearTimeout(timer); resolve(); };
  });

  // Runs at start and whenever idle: one small query, and a dead neighbour's jobs need not wait for expiry.
  const reclaim = async (): Promise<void> => {
    if (o.isOwnerGone === undefined) return;
    for (const lease of await o.catalog.jobs.leases()) {
      if (lease.owner !== o.owner && o.isOwnerGone(lease.owner) && await o.catalog.jobs.release(lease.id, lease.owner)) o.onReclaim?.(lease);
    }
  };
  const tryReclaim = (): Promise<void> => reclaim().catch((err: unknown) => o.onError?.(undefined, err));

  const claimLoop = async (): Promise<void> => {
    await tryReclaim();
    while (!stopped) {
      if (running.size >= concurrency) { await Promise.race([...running.values()].map((r) => r.done)); continue; }
      const job = await o.catalog.jobs.claim(o.owner, leaseMs).catch((err: unknown) => { o.onError?.(undefined, err); return undefined; });
      if (job === undefined) { await idle(); await tryReclaim(); continue; }
      if (stopped) { await o.catalog.jobs.release(job.id, o.owner).catch(() => undefined); return; }
      const abort = new AbortController();
      const done = runOne(o, job, { abort, stopping }, leaseMs).finally(() => running.delete(job.id));
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
      // Abort first: a full claim loop waits for a running job to end. No job starts once stopped is set.
      for (const r of running.values()) r.abort.abort(fail('CANCELED', 'the server is stopping'));
      await loop;
      await Promise.allSettled([...running.values()].map((r) => r.done));
    },
  };
}

interface RunState {
  readonly abort: AbortController;
  /** True once the runner is stopping: an interrupted job is released, not failed. */
  readonly stopping: () => boolean;
}

/** Runs one claimed job to a settled state, heartbeating while it runs. */
async function runOne(o: RunnerOptions, job: Job, run: RunState, leaseMs: number): Promise<void> {
  const { abort } = run;
  let progress: JobProgress = job.progress;
  let cancelled = job.cancelRequested;
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
      await sleep(Math.max(50, Math.min(o.heartbeatMs ?? 1000, Math.floor(leaseMs / 3))), quiet.signal).catch(() => undefined);
      if (!beating) return;
      const state = await o.catalog.jobs.heartbeat(job.id, o.owner, progress, leaseMs).catch(() => ({ held: true, cancelRequested: false }));
      if (!state.held) abort.abort(fail('CANCELED', 'the job lease was lost'));
      else if (state.cancelRequested) { cancelled = true; abort.abort(fail('CANCELED', 'the job was canceled')); }
    }
  };
  const beat = heartbeat();
  const handler = o.handlers[job.kind];
  try {
    // A cancel requested before a crash still holds for the job's next attempt.
    if (cancelled) throw fail('CANCELED', 'the job was canceled');
    if (handler === undefined) throw fail('INTERNAL', `no handler for jobs of kind ${job.kind}`);
    await handler(job, { signal: abort.signal, progress: (p) => { progress = withRate({ ...progress, ...p }, o.clock.nowNs() - startedNs); } });
    beating = false;
    await o.catalog.jobs.heartbeat(job.id, o.owner, { ...progress, percent: 100 }, leaseMs).catch(() => undefined);
    await finish('SUCCEEDED');
  } catch (err) {
    beating = false;
    const interrupted = run.stopping() && !cancelled;
    if (!interrupted) o.onError?.(job, err);
    await settleFailure(o, job, err, { cancelled, interrupted }, finish);
  } finally {
    beating = false;
    quiet.abort();
    await beat;
  }
}

type Finish = (state: JobEndState, error?: JobError) => Promise<void>;

/** The attempt's average rate so far: what a client shows next to the bytes done. */
function withRate(p: JobProgress, elapsedNs: bigint): JobProgress {
  const seconds = Number(elapsedNs / 1_000_000n) / 1000;
  return seconds <= 0 ? p : { ...p, bytesPerSecond: Math.round(p.bytesDone / seconds) };
}

async function settleFailure(o: RunnerOptions, job: Job, err: unknown, why: { cancelled: boolean; interrupted: boolean }, finish: Finish): Promise<void> {
  const error = { code: isHoldfastError(err) ? err.code : 'INTERNAL', message: errorMessage(err) };
  if (why.cancelled) { await finish('CANCELED', error); return; }
  if (why.interrupted) { await o.catalog.jobs.release(job.id, o.owner); return; }
  const transient = isHoldfastError(err) ? !err.permanent : false;
  if (transient && job.attempts < (o.maxAttempts ?? 5)) {
    const delayMs = (o.backoffMs ?? 1000) * 2 ** (job.attempts - 1);
    const runAfter = new Date(Number(o.clock.nowNs() / 1_000_000n) + delayMs).toISOString();
    await o.catalog.jobs.retryLater(job.id, o.owner, runAfter, error);
    return;
  }
  await finish('FAILED', error);
}
