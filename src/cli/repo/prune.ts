/**
 * `holdfast repo prune [--dry-run] [--max-unused 5%] [--repack-small]`:
 * removes data no snapshot needs, printing restic's plan statistics first and
 * each step as it starts. The printing helpers also serve `forget --prune`.
 */
import type { Command } from 'commander';
import type { PruneEvent, PruneReport, PruneStats } from '../../engine/prune/prune.js';
import { parseMaxUnused, type MaxUnused } from '../../engine/prune/limits.js';
import type { CliContext } from '../context.js';
import { formatBytes, printJson } from '../output.js';
import { addRepoOptions, flagsOf, openRepo, say, type RepoFlags } from './common.js';

export interface PruneFlags {
  readonly dryRun?: boolean;
  readonly maxUnused: string;
  readonly repackSmall?: boolean;
}

/** Adds the prune tuning options (shared with forget, as restic does). */
export function addPruneOptions(cmd: Command): Command {
  return cmd
    .option('--max-unused <limit>', 'tolerate this much unused data: a percentage, a size (k/m/g/t) or "unlimited"', '5%')
    .option('--repack-small', 'also repack packs below 80% of the target pack size');
}

export function pruneCommand(ctx: CliContext, parent: Command): void {
  addPruneOptions(addRepoOptions(parent.command('prune').description('remove data that no snapshot references any more')))
    .option('-n, --dry-run', 'only print what would be done')
    .action(async (opts: PruneFlags, cmd: Command) => {
      const flags = flagsOf(cmd);
      const limit = parseMaxUnused(opts.maxUnused);
      const repo = await openRepo(ctx, flags);
      const { prune } = await import('../../engine/prune/prune.js');
      const report = await prune(repo, { dryRun: opts.dryRun === true, repackSmall: opts.repackSmall === true, ...limit, onProgress: prunePrinter(ctx, flags) });
      printPruneReport(ctx, flags, report);
    });
}

export function pruneLimit(opts: PruneFlags): MaxUnused & { repackSmall: boolean } {
  return { ...parseMaxUnused(opts.maxUnused), repackSmall: opts.repackSmall === true };
}

const PHASE_TEXT: Readonly<Record<string, string>> = {
  'load-index': 'loading indexes...',
  'load-snapshots': 'loading all snapshots...',
  'list-packs': 'searching used packs...\ncollecting packs for deletion and repacking',
  repack: 'repacking packs',
  'write-index': 'rebuilding index',
  'delete-index': 'deleting obsolete index files',
  done: 'done',
};

/** Prints each step as it starts, like restic's verbose prune output. */
export function prunePrinter(ctx: CliContext, flags: RepoFlags): (e: PruneEvent) => void {
  return (e) => {
    if (e.kind === 'planned') return printStats(ctx, flags, e.stats);
    if (e.kind !== 'phase') return;
    if (e.phase === 'find-used') say(ctx, flags, `finding data that is still in use for ${e.count ?? 0} snapshots`);
    else if (e.phase === 'delete-packs') say(ctx, flags, `removing ${e.count ?? 0} old packs`);
    else say(ctx, flags, PHASE_TEXT[e.phase] ?? e.phase);
  };
}

const row = (label: string, blobs: number, bytes: number): string => `${label.padEnd(14)}${String(blobs).padStart(10)} blobs / ${formatBytes(bytes)}`;
const count = (label: string, n: number, what = ''): string => `${label.padEnd(what === '' ? 20 : 14)}${String(n).padStart(10)}${what}`;

function percent(part: number, whole: number): string {
  return whole === 0 ? '' : `${Math.min(100, (100 * part) / whole).toFixed(2)}%`;
}

/** restic's printPruneStats, line for line. */
function printStats(ctx: CliContext, flags: RepoFlags, s: PruneStats): void {
  const totalBlobs = s.blobs.used + s.blobs.unused + s.blobs.duplicate;
  const totalSize = s.size.used + s.size.duplicate + s.size.unused + s.size.unref;
  const unusedSize = s.size.duplicate + s.size.unused;
  const pruneSize = s.size.remove + s.size.repackrm + s.size.unref;
  const pruneBlobs = s.blobs.remove + s.blobs.repackrm;
  const unusedAfter = unusedSize - s.size.remove - s.size.repackrm;
  const lines = [
    '', row('used:', s.blobs.used, s.size.used),
    ...(s.blobs.duplicate > 0 ? [row('duplicates:', s.blobs.duplicate, s.size.duplicate)] : []),
    row('unused:', s.blobs.unused, s.size.unused),
    ...(s.size.unref > 0 ? [`unreferenced:${' '.repeat(20)}${formatBytes(s.size.unref)}`] : []),
    row('total:', totalBlobs, totalSize),
    `unused size: ${percent(unusedSize, totalSize)} of total size`, '',
    row('to repack:', s.blobs.repack, s.size.repack),
    row('this removes:', s.blobs.repackrm, s.size.repackrm),
    row('to delete:', s.blobs.remove, s.size.remove + s.size.unref),
    row('total prune:', pruneBlobs, pruneSize),
    row('remaining:', totalBlobs - pruneBlobs, totalSize - pruneSize),
    `unused size after prune: ${formatBytes(unusedAfter)} (${percent(unusedAfter, totalSize - pruneSize)} of remaining size)`, '',
    count('totally used packs:', s.packs.used), count('partly used packs:', s.packs.partlyUsed), count('unused packs:', s.packs.unused), '',
    count('to keep:', s.packs.keep, ' packs'), count('to repack:', s.packs.repack, ' packs'), count('to delete:', s.packs.remove, ' packs'),
    ...(s.packs.unref > 0 ? [count('to delete:', s.packs.unref, ' unreferenced packs')] : []),
    '',
  ];
  say(ctx, flags, lines.join('\n'));
}

export function printPruneReport(ctx: CliContext, flags: RepoFlags, r: PruneReport): void {
  if (flags.json === true) {
    printJson(ctx.stdout, { message_type: 'prune', ...r });
    return;
  }
  if (r.dryRun) say(ctx, flags, `dry run: would delete ${r.packsDeleted} packs and repack ${r.packsRepacked}, freeing ${formatBytes(r.bytesFreed)}; nothing was changed`);
  else say(ctx, flags, `deleted ${r.packsDeleted} packs, repacked ${r.packsRepacked} into ${r.packsWritten}, replaced ${r.indexFilesReplaced} index files; freed ${formatBytes(r.bytesFreed)}${r.abandonedFilesRemoved > 0 ? `; removed ${r.abandonedFilesRemoved} unfinished pack files of interrupted backups` : ''}`);
}
