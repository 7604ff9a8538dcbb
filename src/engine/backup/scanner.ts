/**
 * Counts files and bytes ahead of the backup so progress can show totals and
 * an ETA. It only reads metadata and runs concurrently with the backup.
 */
import { lstat, readdir } from 'node:fs/promises';
import { joinBytes } from '../fs-path.js';
import type { ExcludeMatcher } from './exclude.js';

export interface ScanTotals {
  files: number;
  bytes: number;
}

export async function scanTotals(paths: readonly string[], excluded: ExcludeMatcher, signal?: AbortSignal): Promise<ScanTotals> {
  const totals: ScanTotals = { files: 0, bytes: 0 };
  for (const p of paths) await scanPath(Buffer.from(p), excluded, totals, signal);
  return totals;
}

async function scanPath(path: Buffer, excluded: ExcludeMatcher, totals: ScanTotals, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  const st = await lstat(path).catch(() => undefined);
  if (st === undefined) return;
  if (st.isDirectory()) {
    const names = await readdir(path, { encoding: 'buffer' }).catch(() => [] as Buffer[]);
    for (const name of names) {
      const child = joinBytes(path, name);
      if (!excluded(child.toString())) await scanPath(child, excluded, totals, signal);
    }
  } else if (st.isFile() || st.isBlockDevice()) {
    totals.files++;
    totals.bytes += st.size;
  }
}
