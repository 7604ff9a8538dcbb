/**
 * The runner's `delete` job: forgets the backup's restic snapshot(s) in the
 * tenant's repository of the backup's region (a copy's `extra.region`), then
 * marks the backup DELETED. The data the snapshots referred to stays until a
 * later prune reclaims it (DESIGN.md §5).
 *
 * A retry after a crash must not fail on a snapshot the first attempt already
 * removed, so only the snapshots still listed are forgotten. If the job fails
 * for good, the backup goes back to AVAILABLE (its snapshot is still there)
 * rather than staying DELETING with nothing left to delete it.
 */
import { fail, isHoldfastError } from '../common/errors.js';
import type { Backup, Job } from '../catalog/index.js';
import { forget } from '../engine/forget.js';
import type { JobContext, JobHandler } from '../jobs/runner.js';
import type { AppContext } from './context.js';
import { nowIso } from './context.js';
import { backupRegion, openTenantRepository } from './repositories.js';

async function loadBackup(app: AppContext, job: Job): Promise<Backup> {
  const backup = job.backupId === null ? undefined : await app.catalog.backups.get(job.tenantId, job.backupId);
  if (backup === undefined) throw fail('NOT_FOUND', `job ${job.id} refers to a backup that no longer exists`);
  return backup;
}

/** Forgets those of the backup's snapshots the repository still holds. */
async function forgetSnapshots(app: AppContext, backup: Backup, ctx: JobContext): Promise<void> {
  if (backup.snapshotIds.length === 0) return;
  const repo = await openTenantRepository(app, backup.tenantId, backupRegion(app, backup));
  const present = new Set<string>(await repo.listIds('snapshot', { signal: ctx.signal }));
  const ids = backup.snapshotIds.filter((id) => present.has(id));
  ctx.progress({ percent: 10 });
  if (ids.length > 0) await forget(repo, { policy: {}, snapshotIds: ids, dryRun: false });
}

export function deleteHandler(app: AppContext): JobHandler {
  return async (job, ctx) => {
    const backup = await loadBackup(app, job);
    if (backup.state === 'DELETED') return;
    try {
      await forgetSnapshots(app, backup, ctx);
    } catch (err) {
      if (!isHoldfastError(err) || err.permanent) {
        await app.catalog.backups.update(job.tenantId, backup.id, { state: backup.snapshotIds.length > 0 ? 'AVAILABLE' : 'FAILED' });
      }
      throw err;
    }
    await app.catalog.backups.update(job.tenantId, backup.id, { state: 'DELETED', extra: { ...backup.extra, timeDeleted: nowIso(app.clock) } });
  };
}
