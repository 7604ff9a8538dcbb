/**
 * Restore: creates the planned directories, files and links, then fills the
 * files pack by pack: each needed range of a pack is read once, its blobs are
 * decrypted and verified in the pack workers, and every plaintext is written
 * to all places that use it. All-zero blobs are skipped, leaving holes, so
 * sparse files stay sparse. Metadata goes on last, directories deepest first.
 */
import { link, mkdir, rm, symlink } from 'node:fs/promises';
import { errorMessage } from '../../common/errors.js';
import { mapLimit } from '../../common/concurrency.js';
import { releaseBuffer } from '../../common/memory.js';
import type { Id } from '../../common/ids.js';
import type { Repository } from '../../repository/repository.js';
import { withLock } from '../../repository/lock.js';
import { createPackPool, type PackPool } from '../workers/pack-pool.js';
import { findSnapshot } from '../snapshots.js';
import { displayPath } from '../fs-path.js';
import { applyMetadata, type MetadataOptions } from './metadata.js';
import { planRestore, type PlannedFile, type RestorePlan } from './plan.js';
import { packJobs, type PackJob } from './pack-jobs.js';
import { createOpenFiles, type OpenFiles } from './open-files.js';

export interface RestoreOptions {
  readonly snapshot: string;
  /** Path inside the snapshot to restore; its content lands in the target. */
  readonly subpath?: string;
  readonly target: string;
  readonly workers?: number;
  readonly onProgress?: (p: Readonly<RestoreProgress>) => void;
}

export interface RestoreProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface RestoreSummary {
  readonly snapshotId: Id;
  readonly files: number;
  readonly dirs: number;
  readonly bytes: number;
  readonly errors: readonly { path: string; message: string }[];
}

export async function restore(repo: Repository, opts: RestoreOptions): Promise<RestoreSummary> {
  return withLock(repo, { exclusive: false }, async () => {
    const snap = await findSnapshot(repo, opts.snapshot);
    await repo.loadIndex();
    const plan = await planRestore(repo, snap.snapshot.tree, opts.subpath ?? '/', opts.target);
    const pool = createPackPool(repo.key, opts.workers ?? 2);
    try {
      const errors = await executePlan(repo, plan, pool, opts);
      return { snapshotId: snap.id, files: plan.files.length + plan.hardlinks.length, dirs: plan.dirs.length - 1, bytes: plan.totalBytes, errors };
    } finally {
      await pool.close();
    }
  });
}

async function executePlan(repo: Repository, plan: RestorePlan, pool: PackPool, opts: RestoreOptions): Promise<{ path: string; message: string }[]> {
  const errors: { path: string; message: string }[] = [];
  const meta: MetadataOptions = { restoreOwners: process.getuid?.() === 0 };
  const progress: RestoreProgress = { filesDone: 0, filesTotal: plan.files.length, bytesDone: 0, bytesTotal: plan.totalBytes };
  const note = (path: Buffer, err: unknown): void => { errors.push({ path: displayPath(path), message: errorMessage(err) }); };
  for (const d of plan.dirs) await mkdir(d.path, { recursive: true, mode: 0o700 });
  for (const s of plan.symlinks) await guarded(s.path, note, () => makeSymlink(s.path, s.node.linktarget ?? Buffer.alloc(0)));
  for (const u of plan.unsupported) note(u.path, `cannot restore a ${u.node.type} node`);
  const remaining = new Map<PlannedFile, number>(plan.files.map((f) => [f, f.blobs.length]));
  const files = createOpenFiles();
  const finishFile = async (f: PlannedFile): Promise<void> => {
    await guarded(f.path, note, async () => files.finish(f.path, f.size));
    await guarded(f.path, note, () => applyMetadata(f.path, f.node, meta));
    progress.filesDone++;
    opts.onProgress?.(progress);
  };
  await mapLimit(plan.files.filter((f) => f.blobs.length === 0), 8, finishFile);
  try {
    await mapLimit(packJobs(repo.index, plan.files), 4, (job) => runPackJob(repo, pool, job, { remaining, finishFile, note, progress, opts, files }));
  } finally {
    files.closeAll();
  }
  for (const h of plan.hardlinks) await guarded(h.path, note, () => makeHardlink(h.existing, h.path));
  for (const s of plan.symlinks) await guarded(s.path, note, () => applyMetadata(s.path, s.node, meta));
  for (const d of [...plan.dirs].reverse()) if (d.node !== undefined) await guarded(d.path, note, () => applyMetadata(d.path, d.node!, meta));
  return errors;
}

interface JobContext {
  readonly remaining: Map<PlannedFile, number>;
  readonly finishFile: (f: PlannedFile) => Promise<void>;
  readonly note: (path: Buffer, err: unknown) => void;
  readonly progress: RestoreProgress;
  readonly opts: RestoreOptions;
  readonly files: OpenFiles;
}

async function runPackJob(repo: Repository, pool: PackPool, job: PackJob, c: JobContext): Promise<void> {
  const data = await repo.backend.load({ type: 'data', name: job.packId }, { offset: job.start, length: job.end - job.start });
  const opened = await pool.openBlobs(data, job.blobs.map((b) => b.inRange), true);
  for (const [i, result] of opened.entries()) {
    const blob = job.blobs[i]!;
    // Checked once per blob: a zero block may fill many places of a sparse image.
    const plaintext = result.plaintext !== undefined && !isAllZero(result.plaintext) ? result.plaintext : undefined;
    for (const use of blob.uses) {
      if (result.error !== undefined) c.note(use.file.path, result.error);
      else if (plaintext !== undefined) await guarded(use.file.path, c.note, async () => c.files.write(use.file.path, use.file.size, plaintext, use.offset));
      c.progress.bytesDone += blob.length;
      const left = c.remaining.get(use.file)! - 1;
      c.remaining.set(use.file, left);
      if (left === 0) await c.finishFile(use.file);
    }
    if (result.plaintext !== undefined) releaseBuffer(result.plaintext); // written everywhere it goes
  }
  c.opts.onProgress?.(c.progress);
}

function isAllZero(data: Uint8Array): boolean {
  const zeros = Buffer.alloc(Math.min(data.length, 64 * 1024));
  for (let off = 0; off < data.length; off += zeros.length) {
    const n = Math.min(zeros.length, data.length - off);
    if (!Buffer.from(data.buffer, data.byteOffset + off, n).equals(zeros.subarray(0, n))) return false;
  }
  return true;
}

async function makeSymlink(path: Buffer, target: Buffer): Promise<void> {
  await rm(path, { force: true });
  await symlink(target, path);
}

async function makeHardlink(existing: Buffer, path: Buffer): Promise<void> {
  await rm(path, { force: true });
  await link(existing, path);
}

async function guarded(path: Buffer, note: (p: Buffer, e: unknown) => void, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    note(path, err);
  }
}
