/**
 * The DBCS backup API's answers built from the core's records (paas-otc.md
 * §2.2–2.4). State words, in one table each:
 *
 * | backup state | backupList `status` |   | job state        | `job_status` | recoveryList `status` |
 * |--------------|---------------------|---|------------------|--------------|-----------------------|
 * | CREATING     | IN PROGRESS         |   | ACCEPTED         | InProgress   | IN PROGRESS           |
 * | AVAILABLE    | COMPLETED           |   | IN_PROGRESS      | InProgress   | IN PROGRESS           |
 * | FAILED       | FAILED              |   | SUCCEEDED        | Succeeded    | COMPLETED             |
 * |              |                     |   | FAILED, CANCELED | Failed       | FAILED                |
 *
 * Only `Succeeded` is evidenced for job_status; `InProgress` and `Failed` are
 * our spellings. A backup being deleted is no longer listed.
 */
import type { Recovery, RecoveryChoice } from '../../../app/recovery.js';
import type { Backup, BackupState, Job, JobState, Resource } from '../../../catalog/index.js';
import { dbcsDate, dbcsTimestamp, javaDate } from './dates.js';
import { serviceNameOf } from './lookups.js';

const BACKUP_STATUS: Partial<Record<BackupState, string>> = { CREATING: 'IN PROGRESS', AVAILABLE: 'COMPLETED', FAILED: 'FAILED' };

const JOB_STATUS: Readonly<Record<JobState, string>> = {
  ACCEPTED: 'InProgress', IN_PROGRESS: 'InProgress', SUCCEEDED: 'Succeeded', FAILED: 'Failed', CANCELED: 'Failed',
};

const RECOVERY_STATUS: Readonly<Record<JobState, string>> = {
  ACCEPTED: 'IN PROGRESS', IN_PROGRESS: 'IN PROGRESS', SUCCEEDED: 'COMPLETED', FAILED: 'FAILED', CANCELED: 'FAILED',
};

/** A backup this API shows: one it made (it has a dbTag), not physical, not being deleted. */
export function isDbcsBackup(backup: Backup): boolean {
  return typeof backup.extra['dbTag'] === 'string' && backup.extra['form'] !== 'physical' && BACKUP_STATUS[backup.state] !== undefined;
}

export function renderBackupItem(backup: Backup): Record<string, unknown> {
  return {
    dbTag: backup.extra['dbTag'], status: BACKUP_STATUS[backup.state],
    backupStartDate: dbcsDate(backup.timeImaged ?? backup.timeRequested),
    ...(backup.state === 'AVAILABLE' && backup.timeAvailable !== null ? { backupCompleteDate: dbcsDate(backup.timeAvailable) } : {}),
    keepForever: backup.keepForever,
  };
}

/** The recovery choice in the recovery body's own words. */
export function choiceFields(choice: RecoveryChoice): Record<string, string | boolean> {
  if ('latest' in choice) return { latest: true };
  if ('tag' in choice) return { dbTag: choice.tag };
  return { timestamp: dbcsTimestamp(choice.timestamp) };
}

export function renderRecovery(record: Recovery): Record<string, unknown> {
  const { job } = record;
  return {
    ...choiceFields(record.choice), status: RECOVERY_STATUS[job.state],
    recoveryStartDate: dbcsDate(job.startedAt ?? job.createdAt),
    ...(job.state === 'SUCCEEDED' && job.finishedAt !== null ? { recoveryCompleteDate: dbcsDate(job.finishedAt) } : {}),
  };
}

export interface JobView {
  readonly job: Job;
  readonly jobNumber: string;
  readonly operation: 'backup' | 'recovery';
  readonly domain: string;
  readonly serviceUri: string;
  readonly resource?: Resource;
  readonly backup?: Backup;
}

function requestParams(v: JobView): Record<string, string> {
  const choice = (v.job.params as { recovery?: RecoveryChoice } | null)?.recovery;
  if (v.operation === 'recovery' && choice !== undefined) {
    return Object.fromEntries(Object.entries(choiceFields(choice)).map(([k, x]) => [k === 'dbTag' ? 'tag' : k, String(x)]));
  }
  return { keepForever: String(v.backup?.keepForever ?? false) };
}

function messagesOf(v: JobView): string[] {
  const what = v.operation === 'backup' ? 'Backup' : 'Recovery';
  const out = [`${what} submitted`];
  if (v.job.startedAt !== null) out.push(`${what} started`);
  if (v.job.state === 'SUCCEEDED') out.push(`${what} completed${v.operation === 'backup' && v.backup ? ` (tag ${String(v.backup.extra['dbTag'])})` : ''}`);
  if (v.job.state === 'FAILED' || v.job.state === 'CANCELED') out.push(`${what} failed${v.job.error === null ? '' : `: ${v.job.error.message}`}`);
  return out;
}

/** `GET …/instances/{dom}/status/{requestName}/job/{n}` */
export function renderJobStatus(v: JobView): Record<string, unknown> {
  const { job } = v;
  return {
    ...(v.resource === undefined ? {} : { service_name: serviceNameOf(v.resource) }),
    identity_domain: v.domain, status: 'Running', service_uri: v.serviceUri,
    creation_time: javaDate(job.createdAt, 'UTC'), last_modified_time: javaDate(job.finishedAt ?? job.startedAt ?? job.createdAt, 'UTC'),
    job_id: Number(v.jobNumber), job_operation: v.operation, job_status: JOB_STATUS[job.state],
    job_start_date: javaDate(job.startedAt ?? job.createdAt),
    ...(job.finishedAt === null ? {} : { job_end_date: javaDate(job.finishedAt) }),
    job_request_params: requestParams(v), message: messagesOf(v),
  };
}
