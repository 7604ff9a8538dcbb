/**
 * The Database Classic answers built from the core's records: a snapshot
 * (a backup of `form: 'physical'`, paas-otc.md §1.4) and the activity-log
 * job (§1.5). State words, in one table each:
 *
 * | backup state | snapshot `status` |   | job state            | activity `status` |
 * |--------------|-------------------|---|----------------------|-------------------|
 * | CREATING     | In Progress       |   | ACCEPTED             | NEW               |
 * | AVAILABLE    | Succeeded         |   | IN_PROGRESS          | RUNNING           |
 * | FAILED       | Failed            |   | SUCCEEDED            | SUCCEED           |
 * | DELETING     | Terminating (fog) |   | FAILED, CANCELED     | FAILED            |
 */
import type { Backup, BackupState, Job, JobState, Resource } from '../../../catalog/index.js';
import { activityDate } from './dates.js';
import { serviceNameOf } from './lookups.js';

const SNAPSHOT_STATUS: Readonly<Record<BackupState, string>> = {
  CREATING: 'In Progress', AVAILABLE: 'Succeeded', FAILED: 'Failed', DELETING: 'Terminating', DELETED: 'Terminated',
};

const ACTIVITY_STATUS: Readonly<Record<JobState, string>> = {
  ACCEPTED: 'NEW', IN_PROGRESS: 'RUNNING', SUCCEEDED: 'SUCCEED', FAILED: 'FAILED', CANCELED: 'FAILED',
};

export function isSnapshot(backup: Backup): boolean {
  return backup.extra['form'] === 'physical' && backup.state !== 'DELETED';
}

export function renderSnapshot(backup: Backup): Record<string, unknown> {
  return {
    name: backup.name, description: backup.description, status: SNAPSHOT_STATUS[backup.state],
    creationTime: activityDate(backup.timeImaged ?? backup.timeRequested), clonedServicesSize: 0, clonedServices: [],
  };
}

/** What the job did, in the activity log's operationType words. */
function operationOf(job: Job, backup: Backup | undefined): string {
  const snapshot = backup?.extra['form'] === 'physical';
  if (job.kind === 'backup') return snapshot ? 'CREATE_SNAPSHOT' : 'BACKUP';
  if (job.kind === 'delete') return snapshot ? 'DELETE_SNAPSHOT' : 'DELETE_BACKUP';
  if (job.kind === 'restore') return 'RECOVERY';
  return job.kind.toUpperCase();
}

function messagesOf(job: Job): { activityDate: string; message: string }[] {
  const out = [{ activityDate: activityDate(job.createdAt), message: 'Activity Submitted' }];
  if (job.startedAt !== null) out.push({ activityDate: activityDate(job.startedAt), message: 'Activity Started' });
  if (job.finishedAt !== null) {
    const end = job.state === 'SUCCEEDED' ? 'Activity Succeeded' : `Activity Failed${job.error === null ? '' : `: ${job.error.message}`}`;
    out.push({ activityDate: activityDate(job.finishedAt), message: end });
  }
  return out;
}

/** The activity-log record of a job (`GET /paas/api/v1.1/activitylog/{dom}/job/{id}`). */
export function renderActivity(job: Job, jobNumber: string, domain: string, subjects: { backup?: Backup; resource?: Resource }): Record<string, unknown> {
  const operation = operationOf(job, subjects.backup);
  return {
    activityLogId: Number(jobNumber), jobId: Number(jobNumber),
    ...(subjects.resource === undefined ? {} : { serviceName: serviceNameOf(subjects.resource) }),
    serviceType: 'dbaas', identityDomain: domain, authDomain: domain,
    startDate: activityDate(job.startedAt ?? job.createdAt),
    ...(job.finishedAt === null ? {} : { endDate: activityDate(job.finishedAt) }),
    status: ACTIVITY_STATUS[job.state], operationType: operation, summaryMessage: operation, initiatedBy: 'USER',
    messages: messagesOf(job),
  };
}
