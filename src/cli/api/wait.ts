/**
 * Waiting for a job: polls GET /v1/jobs/:id until it settles, drawing the
 * progress bar on a terminal (nothing otherwise), and turns a failed or
 * canceled job into the catalog error its code names.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ERRORS, fail, type ErrorCode, type HoldfastError } from '../../common/errors.js';
import type { Job } from '../../catalog/types.js';
import type { CliContext } from '../context.js';
import { formatBytes } from '../output.js';
import { createProgressBar } from '../progress-bar.js';
import type { ApiClient } from './client.js';
import { enc, type ApiFlags } from './common.js';

/** Often enough for a live bar, rare enough to cost the server nothing. */
export const POLL_MS = 300;

const SETTLED = new Set(['SUCCEEDED', 'FAILED', 'CANCELED']);

export function isSettled(job: Job): boolean {
  return SETTLED.has(job.state);
}

export async function waitForJob(ctx: CliContext, api: ApiClient, flags: ApiFlags, jobId: string): Promise<Job> {
  const bar = createProgressBar(ctx.stderr, flags.quiet !== true && flags.json !== true);
  const watchedSince = ctx.repoEnv.clock.nowNs();
  try {
    for (;;) {
      const job = await api.get<Job>(`/v1/jobs/${enc(jobId)}`);
      if (isSettled(job)) return job;
      bar.update({
        bytesDone: job.progress.bytesDone,
        bytesTotal: job.progress.bytesTotal ?? undefined,
        filesDone: job.progress.filesDone,
        elapsedSeconds: elapsedSeconds(ctx, job, watchedSince),
      });
      await sleep(POLL_MS);
    }
  } finally {
    bar.done();
  }
}

/** Since the job started on the server (so the rate is the job's), or since we began watching if it has not. */
function elapsedSeconds(ctx: CliContext, job: Job, watchedSince: bigint): number {
  const nowMs = Number(ctx.repoEnv.clock.nowNs() / 1_000_000n);
  const startedMs = job.startedAt === null ? Number(watchedSince / 1_000_000n) : Date.parse(job.startedAt);
  return Math.max(0, (nowMs - startedMs) / 1000);
}

/** A job that did not succeed, as an error: its own code when the catalog knows it, so the exit code follows. */
export function jobFailure(job: Job): HoldfastError | undefined {
  if (job.state === 'SUCCEEDED') return undefined;
  const given = job.error?.code;
  const code: ErrorCode = given !== undefined && Object.hasOwn(ERRORS, given) ? (given as ErrorCode) : job.state === 'CANCELED' ? 'CANCELED' : 'INTERNAL';
  const why = job.error === null ? '' : `: ${job.error.code}: ${job.error.message}`;
  return fail(code, `job ${job.id} (${job.kind}) ${job.state}${why}`);
}

/** One line about a job for people. */
export function describeJob(job: Job): string {
  const p = job.progress;
  const total = p.bytesTotal === null ? '' : `/${formatBytes(p.bytesTotal)}`;
  const err = job.error === null ? '' : `  error ${job.error.code}: ${job.error.message}`;
  return `job ${job.id}  ${job.kind}  ${job.state}  ${p.percent}%  ${formatBytes(p.bytesDone)}${total}  ${p.filesDone} files${err}`;
}
