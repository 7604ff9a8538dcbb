/** Conversions between job rows and Job values, shared by the job store and its lease operations. */
import type { Selectable } from 'kysely';
import { fromFlag, fromJson, toFlag, toJson } from './codec.js';
import type { JobTable } from './schema.js';
import type { Job, JobError, JobProgress, JobState, NewJob } from './types.js';

export const ZERO_PROGRESS: Readonly<JobProgress> = Object.freeze({ percent: 0, bytesDone: 0, bytesTotal: null, filesDone: 0, bytesPerSecond: 0 });

/** The states in which a job holds its resource (the partial unique index in migration 0001). */
export const ACTIVE_STATES: readonly JobState[] = ['ACCEPTED', 'IN_PROGRESS'];

export function toJob(row: Selectable<JobTable>): Job {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    kind: row.kind,
    resourceId: row.resource_id,
    backupId: row.backup_id,
    mutating: fromFlag(row.mutating),
    state: row.state as JobState,
    params: fromJson<unknown>(row.params),
    progress: fromJson<JobProgress>(row.progress),
    error: row.error === null ? null : fromJson<JobError>(row.error),
    attempts: Number(row.attempts),
    runAfter: row.run_after,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
    cancelRequested: fromFlag(row.cancel_requested),
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

export function newJobRow(job: NewJob, now: string): JobTable {
  const state = job.state ?? 'ACCEPTED';
  const ended = state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELED';
  return {
    id: job.id,
    tenant_id: job.tenantId,
    kind: job.kind,
    resource_id: job.resourceId,
    backup_id: job.backupId,
    mutating: toFlag(job.mutating),
    state,
    params: toJson(job.params),
    progress: toJson(ZERO_PROGRESS),
    error: null,
    attempts: 0,
    run_after: job.runAfter ?? now,
    lease_owner: null,
    lease_expires_at: null,
    cancel_requested: 0,
    created_at: now,
    started_at: null,
    finished_at: ended ? now : null,
  };
}

export function errorColumn(error: JobError | undefined | null): string | null {
  return error == null ? null : toJson({ code: error.code, message: error.message });
}
