/**
 * Recovery of a database resource in place (Oracle DBCS `backups/recovery`,
 * PAAS-CONTRACT.md): one of the resource's AVAILABLE logical backups — the
 * latest, the one with a given `extra.dbTag`, or the newest imaged at or
 * before a time — is restored into the resource itself by a `restore` job
 * whose params carry the choice, so the history is read back from the jobs.
 *
 * A minimal version written on the `paas` branch so the dialect has its
 * use case; the `paasdb` branch owns this file and its version wins.
 */
import { fail } from '../common/errors.js';
import type { Backup, Job } from '../catalog/index.js';
import { driverFor } from '../source/registry.js';
import { allBackupRecords } from './backups.js';
import type { AppContext, Principal } from './context.js';
import { newId } from './context.js';
import { getResource } from './resources.js';

export type RecoveryChoice = { readonly latest: true } | { readonly tag: string } | { readonly timestamp: string /* ISO-8601 */ };

export interface RecoveryOptions {
  /** Recover from a long-term (keep-forever) backup only. */
  readonly keepForever?: boolean;
  /** The restore job's id when a dialect must choose it (Oracle's numeric job ids). */
  readonly jobId?: string;
}

export interface RecoveryRecord {
  readonly job: Job;
  readonly backupId: string;
  readonly choice: RecoveryChoice;
}

/** Newest image first: the order every choice reads the candidates in. */
function byImageTimeDesc(a: Backup, b: Backup): number {
  return Date.parse(b.timeImaged ?? b.timeRequested) - Date.parse(a.timeImaged ?? a.timeRequested);
}

function pick(candidates: Backup[], choice: RecoveryChoice): Backup | undefined {
  if ('latest' in choice) return candidates[0];
  if ('tag' in choice) return candidates.find((b) => b.extra['dbTag'] === choice.tag);
  const until = Date.parse(choice.timestamp);
  if (Number.isNaN(until)) throw fail('INVALID_ARGUMENT', 'timestamp must be an ISO-8601 time');
  return candidates.find((b) => Date.parse(b.timeImaged ?? b.timeRequested) <= until);
}

async function chooseBackup(app: AppContext, who: Principal, resourceId: string, choice: RecoveryChoice, opts: RecoveryOptions): Promise<Backup> {
  const candidates = (await allBackupRecords(app, who, { resourceId, state: 'AVAILABLE' }))
    .filter((b) => b.extra['form'] !== 'physical' && (opts.keepForever !== true || b.keepForever))
    .sort(byImageTimeDesc);
  const chosen = pick(candidates, choice);
  if (chosen === undefined) throw fail('NOT_FOUND', 'no available backup of this resource matches the recovery request');
  return chosen;
}

/** Queues the restore of the chosen backup into the resource; CONFLICT (and nothing queued) while another mutating job holds it. */
export async function requestRecovery(
  app: AppContext, who: Principal, resourceId: string, choice: RecoveryChoice, opts: RecoveryOptions = {},
): Promise<{ job: Job; backup: Backup }> {
  const resource = await getResource(app, who, resourceId);
  const backup = await chooseBackup(app, who, resource.id, choice, opts);
  const target = driverFor(resource.driver).parseTarget({}, resource.config);
  const job = await app.catalog.jobs.create({
    id: opts.jobId ?? newId(app.random, 'job'), tenantId: who.tenantId, kind: 'restore', resourceId: resource.id, backupId: backup.id,
    mutating: true, params: { target, recovery: choice },
  });
  app.jobsWaiting();
  return { job, backup };
}

function recoveryOf(job: Job): RecoveryRecord | undefined {
  const choice = (job.params as { recovery?: RecoveryChoice } | null)?.recovery;
  return choice === undefined || job.backupId === null ? undefined : { job, backupId: job.backupId, choice };
}

/** The recoveries of a resource, newest first. */
export async function listRecoveries(app: AppContext, who: Principal, resourceId: string): Promise<RecoveryRecord[]> {
  const resource = await getResource(app, who, resourceId);
  const out: RecoveryRecord[] = [];
  let after: string | undefined;
  do {
    const page = await app.catalog.jobs.list(who.tenantId, { resourceId: resource.id, kind: 'restore' }, { limit: 500, ...(after === undefined ? {} : { after }) });
    for (const job of page.items) {
      const record = recoveryOf(job);
      if (record !== undefined) out.push(record);
    }
    after = page.next;
  } while (after !== undefined);
  return out;
}
