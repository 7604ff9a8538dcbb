/**
 * A bounded look at what a backup is about to read: a handful of small files
 * are done before a second chunking worker has even loaded its code (~0.25 s
 * of CPU per worker), so such backups run one worker. The look stops as soon
 * as either limit is passed, so a large tree costs only a few hundred lstat calls.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface SmallLimits {
  readonly bytes: number;
  readonly entries: number;
}

export const SMALL_INPUT: SmallLimits = { bytes: 8 * 1024 * 1024, entries: 256 };

/** True when the paths hold fewer than `limits.bytes` in at most `limits.entries` entries; false when unsure. */
export async function isSmallInput(paths: readonly string[], limits: SmallLimits = SMALL_INPUT): Promise<boolean> {
  const left = { bytes: limits.bytes, entries: limits.entries };
  try {
    for (const p of paths) if (!(await fits(p, left))) return false;
    return true;
  } catch {
    return false; // the backup itself reports what cannot be read
  }
}

async function fits(path: string, left: { bytes: number; entries: number }): Promise<boolean> {
  const st = await lstat(path);
  left.entries--;
  if (st.isFile()) left.bytes -= st.size;
  else if (st.isBlockDevice()) return false; // its size is not in lstat
  if (left.entries < 0 || left.bytes < 0) return false;
  if (!st.isDirectory()) return true;
  for (const name of await readdir(path)) if (!(await fits(join(path, name), left))) return false;
  return true;
}
