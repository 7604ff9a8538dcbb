/**
 * Recovery of a database instance from one of its own backups (Oracle's
 * "restore and recover"): the caller names the backup by choice (the latest,
 * a dialect tag kept in `extra.dbTag`, or a point in time) and a restore job
 * writes it back into the instance itself, whose database is dropped and
 * made again first, so it ends equal to the backup. A point in time picks the newest backup imaged at or before
 * it; no log is replayed past that backup (docs/decisions.md). Only AVAILABLE
 * backups in the configured (logical) form count: a physical-form copy
 * restores into a data directory, not into the running instance.
 *
 * A recovery is a `restore` job whose params carry `{ recovery: choice }`;
 * the recovery history is those jobs.
 */
import { fail, withContext } from '../common/errors.js';
import type { Backup, Job } from '../catalog/index.js';
import { driverFor } from '../source/registry.js';
import { allBackupRecords, backupForm, newJob } from './backups.js';
import type { AppContext, Principal } from './context.js';
import { getResource } from './resources.js';

/** Which backup: the newest; the one whose `extra.dbTag` is `tag`; the newest imaged at or before `timestamp` (ISO-8601, UTC when it has no offset). */
export type RecoveryChoice = { readonly latest: true } | { readonly tag: string } | { readonly timestamp: string };

export interface RecoveryOptions {
  /** Marks the chosen backup keep-forever (exempt from retention). */
  readonly keepForever?: boolean;
  /** The recovery job's id, for dialects whose job ids have a shape of their own (default: a new `job_…` id). */
  readonly jobId?: string;
}

export interface Recovery {
  readonly job: Job;
  readonly backupId: string;
  readonly choice: RecoveryChoice;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/;

/** Checks a choice and returns it with nothing but its one key (what the job's params keep). */
export function checkChoice(raw: unknown): RecoveryChoice {
  const o = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined);
  if (keys.length !== 1) throw fail('INVALID_ARGUMENT', 'a recovery names exactly one of latest, tag or timestamp');
  if (o['latest'] === true) return { latest: true };
  if (typeof o['tag'] === 'string' && o['tag'] !== '') return { tag: o['tag'] };
  if (typeof o['timestamp'] === 'string') {
    timestampMs(o['timestamp']);
    return { timestamp: o['timestamp'] };
  }
  throw fail('INVALID_ARGUMENT', 'latest must be true, tag a non-empty string, timestamp an ISO-8601 time');
}

function timestampMs(text: string): number {
  const ms = ISO_8601.test(text) ? Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(text) ? text : `${text}Z`) : Number.NaN;
  if (Number.isNaN(ms)) throw fail('INVALID_ARGUMENT', `timestamp must be an ISO-8601 time (e.g. 2026-12-01T12:00:00Z); got ${JSON.stringify(text)}`);
  return ms;
}

/** The resource's backups a recovery may use, newest image first. */
async function recoverable(app: AppContext, who: Principal, resourceId: string): Promise<Backup[]> {
  const all = await allBackupRecords(app, who, { resourceId, state: 'AVAILABLE' });
  const usable = all.filter((b) => b.timeImaged !== null && backupForm(b).form === undefined);
  return usable.sort((a, b) => Date.parse(b.timeImaged!) - Date.parse(a.timeImaged!));
}

function pick(newestFirst: readonly Backup[], choice: RecoveryChoice): Backup | undefined {
  if ('latest' in choice) return newestFirst[0];
  if ('tag' in choice) return newestFirst.find((b) => b.extra['dbTag'] === choice.tag);
  const at = timestampMs(choice.timestamp);
  return newestFirst.find((b) => Date.parse(b.timeImaged!) <= at);
}

function noneFor(choice: RecoveryChoice): string {
  if ('latest' in choice) return 'no backup';
  if ('tag' in choice) return `no backup tagged ${choice.tag}`;
  return `no backup taken at or before ${choice.timestamp}`;
}

/**
 * Queues the recovery of a resource from the backup the choice names;
 * NOT_FOUND when none matches, CONFLICT when a mutating job holds the
 * resource. The job's target is the instance itself, emptied first
 * (`{recreate: true}`: objects made after the backup go too), checked here;
 * no copy of the resource's connection secrets lands in the job. keepForever
 * is set in the same transaction as the job: a refused job changes nothing.
 */
const RECOVERY_TARGET = Object.freeze({ recreate: true });

export async function requestRecovery(
  app: AppContext, who: Principal, resourceId: string, choice: RecoveryChoice, opts: RecoveryOptions = {},
): Promise<{ job: Job; backup: Backup }> {
  const wanted = checkChoice(choice);
  const resource = await getResource(app, who, resourceId);
  const chosen = pick(await recoverable(app, who, resource.id), wanted);
  if (chosen === undefined) throw fail('NOT_FOUND', `resource ${resource.id} has ${noneFor(wanted)} to recover from`);
  try {
    driverFor(resource.driver).parseTarget(RECOVERY_TARGET, resource.config, backupForm(chosen));
  } catch (err) {
    throw withContext(err, `resource ${resource.id} cannot be recovered in place`);
  }
  const keep = opts.keepForever === true && !chosen.keepForever;
  const params = { target: RECOVERY_TARGET, recovery: wanted };
  const job = await app.catalog.transaction(async (tx) => {
    if (keep) await tx.backups.update(who.tenantId, chosen.id, { keepForever: true });
    const queued = newJob(app, who, 'restore', { resourceId: resource.id, backupId: chosen.id }, params);
    return tx.jobs.create(opts.jobId === undefined ? queued : { ...queued, id: opts.jobId });
  });
  app.jobsWaiting();
  return { job, backup: keep ? { ...chosen, keepForever: true } : chosen };
}

/** The recoveries of a resource, newest first (its restore jobs that carry a recovery choice). */
export async function listRecoveries(app: AppContext, who: Principal, resourceId: string): Promise<Recovery[]> {
  const resource = await getResource(app, who, resourceId);
  const out: Recovery[] = [];
  let after: string | undefined;
  do {
    const page = await app.catalog.jobs.list(who.tenantId, { resourceId: resource.id, kind: 'restore' }, { limit: 1000, ...(after === undefined ? {} : { after }) });
    for (const job of page.items) {
      const choice = (job.params as { recovery?: RecoveryChoice } | null)?.recovery;
      if (choice !== undefined && job.backupId !== null) out.push({ job, backupId: job.backupId, choice });
    }
    after = page.next;
  } while (after !== undefined);
  return out;
}
