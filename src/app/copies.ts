/**
 * Copying a backup to another region (OCI CopyVolumeBackup): the request
 * creates the copy, a new backup CREATING in the destination region, and the
 * `copy` job that fills it (copy-handler.ts), in one catalog transaction. The
 * copy is a backup of the same resource like any other; only `extra.region`
 * (where it lives) and `extra.sourceBackupId` (what it was copied from) tell
 * it apart. A copy job only reads the resource's backups, so it is not
 * mutating: it may run beside a backup or a restore of the same resource.
 */
import { fail } from '../common/errors.js';
import type { Backup, Job } from '../catalog/index.js';
import type { AppContext, Principal } from './context.js';
import { newId, nowIso } from './context.js';
import { getBackup } from './backups.js';
import { backupRegion, checkRegion } from './repositories.js';

export interface CopyRequest {
  /** The destination region: the home region or one of AppContext.regions; not the backup's own. */
  readonly region: string;
  /** Default `Copy of <source name>`. */
  readonly name?: string;
  /** Default the source's. */
  readonly description?: string;
  /** Default the source's. */
  readonly tags?: Record<string, unknown>;
  /** Per-dialect fields; `region` and `sourceBackupId` are set over them. */
  readonly extra?: Record<string, unknown>;
  /** When the copy expires; default never. Only a policy's copies expire (scheduler.ts retention). */
  readonly expiresAt?: string | null;
}

/** What a copy job's params hold. */
export interface CopyJobParams {
  readonly sourceBackupId: string;
}

/**
 * Queues a copy of an AVAILABLE backup into another region. An unknown region,
 * or the backup's own, is INVALID_ARGUMENT; a backup not AVAILABLE is
 * CONFLICT; an unknown backup NOT_FOUND. Nothing is created when it fails.
 */
export async function requestCopy(app: AppContext, who: Principal, backupId: string, req: CopyRequest): Promise<{ backup: Backup; job: Job }> {
  // Dialects pass what the caller sent: a missing region must be a clear 400, not a crash.
  if (typeof req.region !== 'string' || req.region === '') throw fail('INVALID_ARGUMENT', 'a destination region is required');
  checkRegion(app, req.region);
  const source = await getBackup(app, who, backupId);
  if (source.state !== 'AVAILABLE') throw fail('CONFLICT', `backup ${backupId} is ${source.state}, not AVAILABLE`);
  if (backupRegion(app, source) === req.region) throw fail('INVALID_ARGUMENT', `backup ${backupId} already lives in region ${req.region}`);
  const backup = copyRow(app, who, source, req);
  const params: CopyJobParams = { sourceBackupId: source.id };
  const job = await app.catalog.transaction(async (tx) => {
    await tx.backups.create(backup);
    return tx.jobs.create({ id: backup.jobId!, tenantId: who.tenantId, kind: 'copy', resourceId: source.resourceId, backupId: backup.id, mutating: false, params });
  });
  app.jobsWaiting();
  return { backup, job };
}

function copyRow(app: AppContext, who: Principal, source: Backup, req: CopyRequest): Backup {
  return {
    id: newId(app.random, 'bak'), tenantId: who.tenantId, resourceId: source.resourceId,
    name: req.name ?? `Copy of ${source.name}`, description: req.description ?? source.description,
    type: source.type, source: 'MANUAL', state: 'CREATING', logicalBytes: source.logicalBytes, storedBytes: null, snapshotIds: [],
    timeRequested: nowIso(app.clock), timeImaged: null, timeAvailable: null,
    // A copy is a manual backup: no policy's keep rules reach it; a policy's copy expires with its source.
    expiresAt: req.expiresAt ?? null, keepForever: false,
    tags: req.tags ?? source.tags, parentId: null, jobId: newId(app.random, 'job'),
    extra: { ...req.extra, region: req.region, sourceBackupId: source.id },
  };
}
