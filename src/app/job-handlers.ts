/**
 * What the runner does for each job kind: a backup reads the resource through
 * its driver into the tenant's repository; a restore reads the snapshot back
 * through the driver into the target. Scratch space lives under the data
 * directory and is removed whatever happens.
 *
 * A backup job may run again after a crash, a kill or a stop: it then reuses
 * what the earlier attempt stored (the engine deduplicates against the index
 * files written during that attempt), and first removes any snapshot that
 * attempt wrote for this backup without getting to mark it AVAILABLE, so the
 * backup ends with exactly one snapshot. Locks left by a killed attempt (this
 * host, dead pid) are removed first: they would not block Holdfast, but stock
 * restic refuses `check` while any lock exists. The backup's FAILED state follows
 * its job's end in the catalog (job-leases.ts), not here. A restore reads from
 * the repository of the region the backup lives in (a copy's `extra.region`).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fail } from '../common/errors.js';
import type { Backup, Job, Resource } from '../catalog/index.js';
import { backup as runEngineBackup, type BackupOptions, type BackupSummary } from '../engine/backup/archiver.js';
import { restore as runEngineRestore } from '../engine/restore/restorer.js';
import { dumpFile } from '../engine/restore/dump.js';
import { forget } from '../engine/forget.js';
import { loadSnapshots } from '../engine/snapshots.js';
import type { Repository } from '../repository/repository.js';
import { removeDeadLocalLocks } from '../repository/lock.js';
import { driverFor } from '../source/registry.js';
import type { BackupInput, RestoreSource } from '../source/driver.js';
import type { JobContext, JobHandler } from '../jobs/runner.js';
import type { AppContext } from './context.js';
import { nowIso } from './context.js';
import { backupForm } from './backups.js';
import { copyForPolicy } from './policies.js';
import { backupRegion, openTenantRepository } from './repositories.js';

async function loadSubjects(app: AppContext, job: Job): Promise<{ backup: Backup; resource: Resource }> {
  const backup = job.backupId === null ? undefined : await app.catalog.backups.get(job.tenantId, job.backupId);
  const resource = job.resourceId === null ? undefined : await app.catalog.resources.get(job.tenantId, job.resourceId);
  if (backup === undefined || resource === undefined) throw fail('NOT_FOUND', `job ${job.id} refers to a backup or resource that no longer exists`);
  return { backup, resource };
}

async function withScratch<T>(app: AppContext, fn: (dir: string) => Promise<T>): Promise<T> {
  const base = join(app.dataDir, 'tmp');
  mkdirSync(base, { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(join(base, 'job-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function engineOptions(backup: Backup, resource: Resource, ctx: JobContext): BackupOptions {
  return {
    tags: [backupTag(backup), `holdfast-resource=${resource.id}`],
    hostname: 'holdfast',
    force: backup.type === 'FULL',
    signal: ctx.signal,
    onProgress: (p) => ctx.progress(progressOf(p)),
  };
}

function progressOf(p: { bytesDone?: number; bytesTotal?: number; filesDone?: number }): { bytesDone: number; bytesTotal: number | null; filesDone: number; percent: number } {
  const done = p.bytesDone ?? 0;
  const total = p.bytesTotal ?? null;
  return { bytesDone: done, bytesTotal: total, filesDone: p.filesDone ?? 0, percent: total !== null && total > 0 ? Math.min(99, Math.floor((100 * done) / total)) : 0 };
}

function archive(repo: Repository, input: BackupInput, opts: BackupOptions): Promise<BackupSummary> {
  return input.kind === 'paths'
    ? runEngineBackup(repo, { ...opts, paths: input.paths })
    : runEngineBackup(repo, { ...opts, stdin: { filename: input.filename, stream: input.stream } });
}

/**
 * Removes snapshots an earlier attempt of this backup's job wrote but did not
 * record (killed between the two): the source never confirmed them complete.
 * Forget takes the exclusive lock; while other jobs hold the repository this
 * fails as REPOSITORY_LOCKED, which is transient, and the job retries later.
 */
export async function forgetUnrecorded(repo: Repository, backup: Backup, signal: AbortSignal): Promise<void> {
  const tag = backupTag(backup);
  const stale = (await loadSnapshots(repo, signal)).filter((s) => s.snapshot.tags?.includes(tag) === true);
  if (stale.length > 0) await forget(repo, { policy: {}, snapshotIds: stale.map((s) => s.id), dryRun: false });
}

export function backupTag(backup: Pick<Backup, 'id'>): string {
  return `holdfast-backup=${backup.id}`;
}

export function backupHandler(app: AppContext): JobHandler {
  return async (job, ctx) => {
    const { backup, resource } = await loadSubjects(app, job);
    // An earlier attempt recorded its snapshot and was stopped before the job was settled.
    if (backup.state === 'AVAILABLE') return;
    if (backup.state !== 'CREATING') throw fail('NOT_FOUND', `backup ${backup.id} is ${backup.state}, no longer being created`);
    const repo = await openTenantRepository(app, job.tenantId);
    if (job.attempts > 1) {
      await removeDeadLocalLocks(repo);
      await forgetUnrecorded(repo, backup, ctx.signal);
    }
    const imaged = nowIso(app.clock);
    const summary = await withScratch(app, async (scratchDir) => {
      const session = await driverFor(resource.driver).openBackup(resource.config, { signal: ctx.signal, scratchDir, env: app.toolEnv }, backupForm(backup));
      try {
        const result = await archive(repo, session.input, engineOptions(backup, resource, ctx));
        await session.finish();
        return { result, input: session.input };
      } catch (err) {
        await session.abort();
        throw err;
      }
    });
    // Re-read: the backup may have been renamed or re-tagged while it ran.
    const current = (await app.catalog.backups.get(job.tenantId, backup.id)) ?? backup;
    const available = await app.catalog.backups.update(job.tenantId, backup.id, {
      state: 'AVAILABLE', snapshotIds: [summary.result.snapshotId], logicalBytes: summary.result.bytesProcessed,
      storedBytes: summary.result.bytesStored, timeImaged: imaged, timeAvailable: nowIso(app.clock),
      // bytesRead tells a FULL backup (every byte re-read) from an INCREMENTAL that reused unchanged files.
      extra: { ...current.extra, input: describeInput(summary.input), bytesRead: summary.result.bytesRead },
    });
    if (available !== undefined) await copyForPolicy(app, available);
  };
}

function describeInput(input: BackupInput): Record<string, unknown> {
  return input.kind === 'paths' ? { kind: 'paths', paths: input.paths } : { kind: 'stream', filename: input.filename };
}

function restoreSource(repo: Repository, backup: Backup, ctx: JobContext): RestoreSource {
  const snapshot = backup.snapshotIds[0];
  const input = backup.extra['input'] as { kind: string; paths?: string[]; filename?: string } | undefined;
  if (snapshot === undefined || input === undefined) throw fail('INVALID_DATA', `backup ${backup.id} has no stored snapshot`);
  return {
    async restoreTree(target) {
      if (input.kind !== 'paths') throw fail('INVALID_ARGUMENT', `backup ${backup.id} holds a stream, not a tree`);
      await runEngineRestore(repo, { snapshot, target, onProgress: (p) => ctx.progress(progressOf(p)) });
    },
    readStream() {
      if (input.filename === undefined) throw fail('INVALID_ARGUMENT', `backup ${backup.id} holds a tree, not a stream`);
      const out = new PassThrough({ highWaterMark: 4 * 1024 * 1024 });
      dumpFile(repo, snapshot, `/${input.filename}`, out).then(() => out.end(), (err: unknown) => out.destroy(err as Error));
      return out;
    },
  };
}

export function restoreHandler(app: AppContext): JobHandler {
  return async (job, ctx) => {
    const { backup, resource } = await loadSubjects(app, job);
    const repo = await openTenantRepository(app, job.tenantId, backupRegion(app, backup));
    if (job.attempts > 1) await removeDeadLocalLocks(repo);
    const driver = driverFor(resource.driver);
    const target = driver.parseTarget((job.params as { target?: unknown }).target ?? {}, resource.config, backupForm(backup));
    await withScratch(app, (scratchDir) => driver.restore(resource.config, target, restoreSource(repo, backup, ctx), { signal: ctx.signal, scratchDir, env: app.toolEnv }));
  };
}
