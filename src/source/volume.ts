/**
 * The volume driver (DESIGN.md §4): a file such as a disk image, a block device
 * or a directory tree, archived as a path by the engine. Optional pre/post hooks
 * (argv, no shell) make it consistent: freeze/thaw, an LVM or filesystem snapshot.
 * The post hook runs after the backup, also when it failed.
 *
 * Restore: the engine restores the archived absolute path under a directory
 * (restic's layout), so the tree is restored into a scratch directory next to the
 * target (same filesystem) and renamed into place; the previous content of the
 * target is removed only after the new one is in place. A block device target
 * is written in place with the restored image's bytes.
 */
import { createReadStream, createWriteStream, type Stats } from 'node:fs';
import { lstat, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fail } from '../common/errors.js';
import type { BackupSession, DriverContext, RestoreSource, SourceDriver } from './driver.js';
import { absolutePath, objectOf, optionalArgv } from './fields.js';
import { run } from './process.js';

export interface VolumeConfig {
  readonly path: string;
  readonly preHook?: readonly string[];
  readonly postHook?: readonly string[];
}

export interface VolumeTarget {
  readonly path: string;
}

function parseConfig(raw: unknown): VolumeConfig {
  const o = objectOf(raw, 'volume config');
  return Object.freeze({ path: absolutePath(o, 'path'), preHook: optionalArgv(o, 'preHook'), postHook: optionalArgv(o, 'postHook') });
}

function parseTarget(raw: unknown): VolumeTarget {
  const path = absolutePath(objectOf(raw, 'volume restore target'), 'path');
  if (dirname(path) === path) throw fail('INVALID_ARGUMENT', 'path must not be the root directory');
  return Object.freeze({ path });
}

async function runHook(argv: readonly string[] | undefined, which: string, config: VolumeConfig, ctx: DriverContext): Promise<void> {
  const [command, ...args] = argv ?? [];
  if (command === undefined) return;
  await run({ command, args, baseEnv: ctx.env, signal: ctx.signal, what: `${which} hook of volume ${config.path}` });
}

async function checkReadable(path: string): Promise<void> {
  try {
    await stat(path);
  } catch (err) {
    throw fail('SOURCE_UNREADABLE', `volume ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
  }
}

async function openBackup(config: VolumeConfig, ctx: DriverContext): Promise<BackupSession> {
  let post: Promise<void> | undefined;
  const runPost = (): Promise<void> => (post ??= runHook(config.postHook, 'post', config, ctx));
  try {
    await runHook(config.preHook, 'pre', config, ctx);
    await checkReadable(config.path);
  } catch (err) {
    await runPost().catch(() => {}); // thaw what the pre hook may have frozen; the first error is the one to report
    throw err;
  }
  return {
    input: { kind: 'paths', paths: [config.path] },
    finish: runPost,
    abort: () => runPost().catch(() => {}),
  };
}

async function restore(config: VolumeConfig, target: VolumeTarget, source: RestoreSource): Promise<void> {
  const parent = dirname(target.path);
  await mkdir(parent, { recursive: true });
  const scratch = await mkdtemp(join(parent, '.holdfast-restore-'));
  try {
    await source.restoreTree(scratch);
    const restored = join(scratch, config.path);
    const restoredStat = await lstat(restored).catch(() => undefined);
    if (restoredStat === undefined) throw fail('NOT_FOUND', `the backup holds no ${config.path}`);
    await place(restored, restoredStat, target.path, scratch);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Puts the restored entry at `dest`: bytes into a block device, otherwise a rename over what was there. */
async function place(restored: string, restoredStat: Stats, dest: string, scratch: string): Promise<void> {
  const existing = await lstat(dest).catch(() => undefined);
  if (existing?.isBlockDevice() && restoredStat.isFile()) {
    await pipeline(createReadStream(restored), createWriteStream(dest, { flags: 'r+' }));
    return;
  }
  if (existing === undefined) return rename(restored, dest);
  const previous = join(scratch, '.previous');
  await rename(dest, previous);
  try {
    await rename(restored, dest);
  } catch (err) {
    await rename(previous, dest); // put the old content back; the scratch removal would delete it
    throw err;
  }
}

async function size(config: VolumeConfig): Promise<number | undefined> {
  const s = await stat(config.path).catch(() => undefined);
  return s?.isFile() ? s.size : undefined;
}

export const volumeDriver: SourceDriver<VolumeConfig, VolumeTarget> = Object.freeze({
  name: 'volume',
  parseConfig,
  parseTarget,
  openBackup,
  restore,
  size,
});
