/**
 * A one-line progress display for terminals: percent, bytes, files, rate and
 * ETA, redrawn in place. On anything but a terminal it prints nothing.
 */
import type { Writable } from 'node:stream';
import { formatBytes, formatDuration } from './output.js';

export interface ProgressSample {
  readonly bytesDone: number;
  readonly bytesTotal?: number | undefined;
  readonly filesDone: number;
  readonly filesTotal?: number | undefined;
  readonly elapsedSeconds: number;
}

export interface ProgressBar {
  /** Whether anything is drawn: work that only feeds the bar can be skipped when not. */
  readonly active: boolean;
  update(s: ProgressSample): void;
  done(): void;
}

export function createProgressBar(out: Writable & { isTTY?: boolean; columns?: number }, enabled: boolean): ProgressBar {
  if (!enabled || out.isTTY !== true) return { active: false, update: () => undefined, done: () => undefined };
  let drawn = false;
  return {
    active: true,
    update(s) {
      // A pseudo-terminal with no size reports 0 columns.
      out.write(`\r${renderLine(s, out.columns || 80)}\x1b[K`);
      drawn = true;
    },
    done() {
      if (drawn) out.write('\r\x1b[K');
    },
  };
}

export function renderLine(s: ProgressSample, columns: number): string {
  const rate = s.elapsedSeconds > 0 ? s.bytesDone / s.elapsedSeconds : 0;
  const total = s.bytesTotal;
  const pct = total !== undefined && total > 0 ? Math.min(100, (100 * s.bytesDone) / total) : undefined;
  const eta = total !== undefined && rate > 0 ? formatDuration((total - s.bytesDone) / rate) : '--:--';
  const files = s.filesTotal === undefined ? `${s.filesDone} files` : `${s.filesDone}/${s.filesTotal} files`;
  const bytes = total === undefined ? formatBytes(s.bytesDone) : `${formatBytes(s.bytesDone)}/${formatBytes(total)}`;
  const text = ` ${pct === undefined ? '' : `${pct.toFixed(1)}% `}${bytes}  ${files}  ${formatBytes(rate)}/s  ETA ${eta}`;
  const barWidth = Math.max(0, Math.min(30, columns - text.length - 3));
  if (pct === undefined || barWidth < 5) return `[${formatDuration(s.elapsedSeconds)}]${text}`.slice(0, columns - 1);
  const filled = Math.round((pct / 100) * barWidth);
  return `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]${text}`.slice(0, columns - 1);
}
