/**
 * Counts files and bytes ahead of the backup so progress can show totals and
 * an ETA. It only reads metadata, synchronously (fast on local disks), one
 * directory per event-loop turn so the backup it runs beside keeps moving.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { joinBytes } from '../fs-path.js';
import type { ExcludeMatcher } from './exclude.js';

export interface ScanTotals {
  files: number;
  bytes: number;
}

export async function scanTotals(paths: readonly string[], excluded: ExcludeMatcher, signal?: AbortSignal): Promise<ScanTotals> {
  const totals: ScanTotals = { files: 0, bytes: 0 };
  const dirs: Buffer[] = [];
  for (const p of paths) visit(Buffer.from(p), totals, dirs);
  while (dirs.length > 0) {
    signal?.throwIfAborted();
    const dir = dirs.pop()!;
    for (const name of readNames(dir)) {
      const child = joinBytes(dir, name);
      if (!excluded(child.toString())) visit(child, totals, dirs);
    }
    await nextTurn();
  }
  return totals;
}

function visit(path: Buffer, totals: ScanTotals, dirs: Buffer[]): void {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st === undefined) return;
  if (st.isDirectory()) dirs.push(path);
  else if (st.isFile()) {
    totals.files++;
    totals.bytes += st.size;
  }
}

function readNames(dir: Buffer): Buffer[] {
  try {
    return readdirSync(dir, { encoding: 'buffer' });
  } catch {
    return []; // the backup itself reports unreadable directories
  }
}
