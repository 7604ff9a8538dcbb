/**
 * The --max-unused limit of prune, as restic 0.14 reads and applies it:
 * "unlimited", a percentage below 100 ("5%", of the data that remains), or a
 * byte count with an optional k/m/g/t suffix (powers of 1024).
 */
import { fail } from '../../common/errors.js';

export type MaxUnused = { readonly maxUnusedPercent: number } | { readonly maxUnusedBytes: number };

/** restic's default: 5% of the used data may stay unused. */
export const DEFAULT_MAX_UNUSED_PERCENT = 5;

const SIZE_UNITS: Readonly<Record<string, number>> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

export function parseMaxUnused(text: string): MaxUnused {
  const s = text.trim();
  if (s === '') throw fail('INVALID_ARGUMENT', `invalid value for --max-unused: ${JSON.stringify(text)}`);
  if (s === 'unlimited') return { maxUnusedBytes: Number.POSITIVE_INFINITY };
  if (s.endsWith('%')) {
    const p = s.slice(0, -1);
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(p)) throw fail('INVALID_ARGUMENT', `invalid percentage ${JSON.stringify(text)} passed for --max-unused`);
    return { maxUnusedPercent: checkedPercent(Number(p)) };
  }
  return { maxUnusedBytes: parseSize(s, '--max-unused') };
}

/** restic's parseSizeStr: digits with an optional single-letter unit. */
export function parseSize(s: string, what: string): number {
  const unit = SIZE_UNITS[s.slice(-1).toLowerCase()];
  const digits = unit === undefined ? s : s.slice(0, -1);
  if (!/^\d+$/.test(digits)) throw fail('INVALID_ARGUMENT', `invalid number of bytes ${JSON.stringify(s)} for ${what}`);
  return Number(digits) * (unit ?? 1);
}

function checkedPercent(p: number): number {
  if (p < 0) throw fail('INVALID_ARGUMENT', 'percentage for --max-unused must be positive');
  if (p >= 100) throw fail('INVALID_ARGUMENT', 'percentage for --max-unused must be below 100%');
  return p;
}

/** How many unused bytes may stay once pruned, given the used bytes. */
export function unusedLimit(o: { maxUnusedPercent?: number; maxUnusedBytes?: number }): (usedBytes: number) => number {
  if (o.maxUnusedPercent !== undefined && o.maxUnusedBytes !== undefined) {
    throw fail('INVALID_ARGUMENT', 'give the unused limit as a percentage or as bytes, not both');
  }
  if (o.maxUnusedBytes !== undefined) {
    const bytes = o.maxUnusedBytes;
    if (Number.isNaN(bytes) || bytes < 0) throw fail('INVALID_ARGUMENT', `the unused limit must not be negative; got ${bytes}`);
    return () => bytes;
  }
  const p = checkedPercent(o.maxUnusedPercent ?? DEFAULT_MAX_UNUSED_PERCENT);
  // p% of the repository after pruning, expressed against the used bytes: unused / (used + unused) = p / 100.
  return (used) => Math.floor((p / (100 - p)) * used);
}
