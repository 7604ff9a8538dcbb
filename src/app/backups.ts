/**
 * Backup and restore requests: each becomes a job in the catalog that the
 * runner executes (job-handlers.ts). A backup row exists from the request on
 * (CREATING) and becomes AVAILABLE only once its snapshot is stored and the
 * source confirmed the copy was complete.
 *
 * A backup may ask for the physical form (a "storage snapshot", DESIGN.md §4):
 * it is kept in `extra.form` and tells the driver both how to copy and, on
 * restore, which kind of target the copy goes back into.
 */
import { sleep } from '../common/concurrency.js';
import { fail } from '../common/errors.js';
import type { Backup, BackupFilter, Job, JobFilter, JobState, NewJob, Page, PageRequest } from '../catalog/index.js';
import { driverFor } from '../source/registry.js';
import type { FormOptions } from '../source/driver.js';
import type { AppContext, Principal } from './context.js';
import { newId, nowIso } from './context.js';
import { getResource } from './resources.js';

export interface BackupRequest {
  readonly resourceId: string;
  readonly type?: 'FULL' | 'INCREMENTAL';
  readonly name?: string;
  readonly description?: string;
  readonly tags?: Record<string, unknown>;
  readonly keepForever?: boolean;
  readonly source?: 'MANUAL' | 'SCHEDULED';
  readonly expiresAt?: string;
  readonly extra?: Record<string, unknown>;
  /** The storage-level copy whatever the resource's configured mode; absent: the configured one. */
  readonly form?: 'physical';
  /** The job's id when a dialect must choose it (Oracle's job ids are numbers); a random one otherwise. */
  readonly jobId?: string;
}

/** The form a backup was asked in, as the driver takes it. */
export function backupForm(backup: Backup): FormOptions {
  return backup.extra['form'] === 'physical' ? { form: 'physical' } : {};
}

export function newJob(app: AppContext, who: Principal, kind: string, ids: { resourceId: string; backupId: string }, params: unknown): NewJob {
  return { id: newId(app.random, 'job'), tenantId: who.tenantId, kind, resourceId: ids.resourceId, backupId: ids.backupId, mutating: true, params };
}

/** Queues a backup; a resource with a mutating job already running answers CONFLICT and nothing is created. */
export async function requestBackup(app: AppContext, who: Principal, req: BackupRequest): Promise<{ backup: Backup; job: Job }> {
  if (req.form !== undefined && req.form !== 'physical') throw fail('INVALID_ARGUMENT', "form must be 'physical' or absent");
  const resource = await getResource(app, who, req.resourceId);
  const backupId = newId(app.random, 'bak');
  const jobId = req.jobId ?? newId(app.random, 'job');
  const now = nowIso(app.clock);
  const backup: Backup = {
    id: backupId, tenantId: who.tenantId, resourceId: resource.id, name: req.name ?? `${resource.name}-${now}`, description: req.description ?? '',
    type: req.type ?? 'INCREMENTAL', source: req.source ?? 'MANUAL', state: 'CREATING', logicalBytes: null, storedBytes: null, snapshotIds: [],
    timeRequested: now, timeImaged: null, timeAvailable: null, expiresAt: req.expiresAt ?? null, keepForever: req.keepForever ?? false,
    tags: req.tags ?? {}, parentId: null, jobId, extra: { ...req.extra, ...(req.form === undefined ? {} : { form: req.form }) },
  };
  // One transaction: a runner never sees the job without its backup, and a refused job leaves no backup behind.
  const job = await app.catalog.transaction(async (tx) => {
    await tx.backups.create(backup);
    return tx.jobs.create({ ...newJob(app, who, 'backup', { resourceId: resource.id, backupId }, {}), id: jobId });
  });
  app.jobsWaiting();
  return { backup, job };
}

export async function getBackup(app: AppContext, who: Principal, id: string): Promise<Backup> {
  const b = await app.catalog.backups.get(who.tenantId, id);
  if (b === undefined || b.state === 'DELETED') throw fail('NOT_FOUND', `no backup ${id}`);
  return b;
}

/** A backup in any state, DELETED included (dialects that show deleted backups for a while, as OCI's TERMINATED). */
export async function getBackupRecord(app: AppContext, who: Principal, id: string): Promise<Backup> {
  const b = await app.catalog.backups.get(who.tenantId, id);
  if (b === undefined) throw fail('NOT_FOUND', `no backup ${id}`);
  return b;
}

export interface BackupUpdate {
  readonly name?: string;
  readonly description?: string;
  readonly tags?: Record<string, unknown>;
  /** Merged into the backup's extra fields (a dialect's own attributes, e.g. OCI defined tags). */
  readonly extra?: Record<string, unknown>;
}

/** Renames, re-describes or re-tags a backup that is not deleted. */
export async function updateBackup(app: AppContext, who: Principal, id: string, patch: BackupUpdate): Promise<Backup> {
  const current = await getBackup(app, who, id);
  if (current.state === 'DELETING') throw fail('CONFLICT', `backup ${id} is being deleted`);
  const updated = await app.catalog.backups.update(who.tenantId, id, {
    ...(patch.name === undefined ? {} : { name: patch.name }),
    ...(patch.description === undefined ? {} : { description: patch.description }),
    ...(patch.tags === undefined ? {} : { tags: patch.tags }),
    ...(patch.extra === undefined ? {} : { extra: { ...current.extra, ...patch.extra } }),
  });
  if (updated === undefined) throw fail('NOT_FOUND', `no backup ${id}`);
  return updated;
}

/** Lists a tenant's backups, newest first; DELETED ones only when `state` asks for them. */
export async function listBackups(app: AppContext, who: Principal, filter: BackupFilter, page: PageRequest): Promise<Page<Backup>> {
  return app.catalog.backups.list(who.tenantId, { ...filter, hideDeleted: true }, page);
}

/** Every backup of a tenant that matches, DELETED ones included, newest first; for dialects that filter and sort in their own ways. */
export async function allBackupRecords(app: AppContext, who: Principal, filter: BackupFilter): Promise<Backup[]> {
  const out: Backup[] = [];
  let after: string | undefined;
  do {
    const page = await app.catalog.backups.list(who.tenantId, { ...filter, hideDeleted: false }, { limit: 1000, ...(after === undefined ? {} : { after }) });
    out.push(...page.items);
    after = page.next;
  } while (after !== undefined);
  return out;
}

/**
 * Queues the deletion of a backup: its snapshot is forgotten by a `delete`
 * job (delete-handler.ts). The backup shows DELETING from this call on; if the
 * job cannot be queued (another mutating job holds the resource) nothing
 * changes: both writes are one transaction.
 */
export async function requestDelete(app: AppContext, who: Principal, backupId: string, opts: { jobId?: string } = {}): Promise<Job> {
  const backup = await getBackup(app, who, backupId);
  if (backup.state === 'CREATING') throw fail('CONFLICT', `backup ${backupId} is still being created`);
  const job = await app.catalog.transaction(async (tx) => {
    await tx.backups.update(who.tenantId, backupId, { state: 'DELETING' });
    return tx.jobs.create({ ...newJob(app, who, 'delete', { resourceId: backup.resourceId, backupId }, {}), ...(opts.jobId === undefined ? {} : { id: opts.jobId }) });
  });
  app.jobsWaiting();
  return job;
}

/** Queues a restore of an available backup into a target the resource's driver accepts. */
export async function requestRestore(app: AppContext, who: Principal, backupId: string, target: unknown): Promise<Job> {
  const backup = await getBackup(app, who, backupId);
  if (backup.state !== 'AVAILABLE') throw fail('CONFLICT', `backup ${backupId} is ${backup.state}, not AVAILABLE`);
  const resource = await getResource(app, who, backup.resourceId);
  const parsed = driverFor(resource.driver).parseTarget(target ?? {}, resource.config, backupForm(backup));
  const job = await app.catalog.jobs.create(newJob(app, who, 'restore', { resourceId: resource.id, backupId }, { target: parsed }));
  app.jobsWaiting();
  return job;
}

export async function getJob(app: AppContext, who: Principal, id: string): Promise<Job> {
  const j = await app.catalog.jobs.get(who.tenantId, id);
  if (j === undefined) throw fail('NOT_FOUND', `no job ${id}`);
  return j;
}

export async function listJobs(app: AppContext, who: Principal, filter: JobFilter, page: PageRequest): Promise<Page<Job>> {
  return app.catalog.jobs.list(who.tenantId, filter, page);
}

const SETTLED: ReadonlySet<JobState> = new Set(['SUCCEEDED', 'FAILED', 'CANCELED']);

export function isSettled(job: Job): boolean {
  return SETTLED.has(job.state);
}

/**
 * Yields the job now and again each time its state, progress or error
 * changes, polling the catalog every `pollMs`; ends after yielding a settled
 * job, or quietly as soon as `signal` aborts (the watcher went away).
 */
export async function* watchJob(app: AppContext, who: Principal, id: string, opts: { signal: AbortSignal; pollMs: number }): AsyncGenerator<Job> {
  let last = '';
  while (!opts.signal.aborted) {
    const job = await getJob(app, who, id);
    const seen = JSON.stringify([job.state, job.progress, job.error]);
    if (seen !== last) {
      last = seen;
      yield job;
    }
    if (isSettled(job)) return;
    try {
      await sleep(opts.pollMs, opts.signal);
    } catch {
      return;
    }
  }
}

export async function cancelJob(app: AppContext, who: Principal, id: string): Promise<Job> {
  const j = await app.catalog.jobs.requestCancel(who.tenantId, id);
  if (j === undefined) throw fail('NOT_FOUND', `no job ${id}`);
  return j;
}
