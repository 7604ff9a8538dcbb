/** Backup progress counters, reported to an optional callback at most every 100 ms. */
import type { Clock } from '../../common/clock.js';

export interface BackupProgress {
  filesDone: number;
  dirsDone: number;
  bytesDone: number;
  /** Bytes actually read from the source and chunked; unlike bytesDone, files reused from the parent add nothing. */
  bytesRead: number;
  /** Known once the scanner has walked everything; undefined until then. */
  filesTotal: number | undefined;
  bytesTotal: number | undefined;
  /** Bytes newly written to the repository (sealed, before pack headers). */
  bytesStored: number;
  errors: number;
  elapsedNs: bigint;
}

export interface ProgressTracker {
  readonly state: BackupProgress;
  changed(): void;
  finish(): void;
}

const REPORT_EVERY_NS = 100_000_000n;

export function createProgressTracker(clock: Clock, onProgress?: (p: Readonly<BackupProgress>) => void): ProgressTracker {
  const start = clock.nowNs();
  let lastReport = 0n;
  const state: BackupProgress = { filesDone: 0, dirsDone: 0, bytesDone: 0, bytesRead: 0, filesTotal: undefined, bytesTotal: undefined, bytesStored: 0, errors: 0, elapsedNs: 0n };
  const report = (force: boolean): void => {
    if (onProgress === undefined) return;
    const now = clock.nowNs();
    if (!force && now - lastReport < REPORT_EVERY_NS) return;
    lastReport = now;
    state.elapsedNs = now - start;
    onProgress(state);
  };
  return { state, changed: () => report(false), finish: () => report(true) };
}
