/**
 * The runner's `copy` job: copies the source backup's snapshot from the
 * repository of its region into the tenant's repository of the copy's region
 * (engine/copy.ts), then marks the copy AVAILABLE with what the source
 * recorded (image time, logical size, what was read) and what the copy
 * newly stored.
 *
 * The copied snapshot is tagged like every snapshot of a backup
 * (`holdfast-backup=<copy id>`, `holdfast-resource=<id>`), so a retry after a
 * crash finds and forgets a snapshot an earlier attempt wrote but did not
 * record, exactly as a retried backup does, and ends with one snapshot. The
 * data that attempt stored is reused. A job that fails for good fails its
 * CREATING copy in the catalog (job-leases.ts).
 */
import { fail } from '../common/errors.js';
import type { Backup, Job, JobProgress } from '../catalog/index.js';
import { copySnapshot, type CopyProgress } from '../engine/copy.js';
import { removeDeadLocalLocks } from '../repository/lock.js';
import type { JobHandler } from '../jobs/runner.js';
import type { AppContext } from './context.js';
import { nowIso } from './context.js';
import type { CopyJobParams } from './copies.js';
import { backupTag, forgetUnrecorded } from './job-handlers.js';
import { backupRegion, openTenantRepository } from './repositories.js';

async function loadCopy(app: AppContext, job: Job): Promise<{ copy: Backup; source: Backup; snapshot: string }> {
  const copy = job.backupId === null ? undefined : await app.catalog.backups.get(job.tenantId, job.backupId);
  if (copy === undefined) throw fail('NOT_FOUND', `job ${job.id} refers to a backup that no longer exists`);
  const sourceId = (job.params as Partial<CopyJobParams> | null)?.sourceBackupId;
  const source = sourceId === undefined ? undefined : await app.catalog.backups.get(job.tenantId, sourceId);
  const snapshot = source?.snapshotIds[0];
  if (source === undefined || snapshot === undefined || source.state === 'DELETED') {
    throw fail('NOT_FOUND', `the backup copy ${copy.id} was made from (${sourceId ?? 'none'}) no longer exists`);
  }
  return { copy, source, snapshot };
}

function progressOf(p: Readonly<CopyProgress>, total: number | null): Partial<JobProgress> {
  const percent = total !== null && total > 0 ? Math.min(99, Math.floor((100 * p.bytesDone) / total)) : 0;
  return { bytesDone: p.bytesDone, bytesTotal: total, percent };
}

export function copyHandler(app: AppContext): JobHandler {
  return async (job, ctx) => {
    const { copy, source, snapshot } = await loadCopy(app, job);
    // An earlier attempt recorded the copy and was stopped before the job was settled.
    if (copy.state === 'AVAILABLE') return;
    if (copy.state !== 'CREATING') throw fail('NOT_FOUND', `backup ${copy.id} is ${copy.state}, no longer being created`);
    const from = await openTenantRepository(app, job.tenantId, backupRegion(app, source));
    const to = await openTenantRepository(app, job.tenantId, backupRegion(app, copy));
    if (job.attempts > 1) {
      await removeDeadLocalLocks(from);
      await removeDeadLocalLocks(to);
      await forgetUnrecorded(to, copy, ctx.signal);
    }
    const result = await copySnapshot(from, to, snapshot, {
      signal: ctx.signal,
      tags: [backupTag(copy), `holdfast-resource=${copy.resourceId}`],
      onProgress: (p) => ctx.progress(progressOf(p, source.logicalBytes)),
    });
    // Read again: the copy's name, tags or extra may have been changed while it was being made.
    const now = (await app.catalog.backups.get(job.tenantId, copy.id)) ?? copy;
    await app.catalog.backups.update(job.tenantId, copy.id, {
      state: 'AVAILABLE', snapshotIds: [result.snapshotId], storedBytes: result.bytesStored,
      logicalBytes: source.logicalBytes ?? result.bytesProcessed, timeImaged: source.timeImaged, timeAvailable: nowIso(app.clock),
      extra: { ...now.extra, ...(source.extra['input'] === undefined ? {} : { input: source.extra['input'] }) },
    });
  };
}
