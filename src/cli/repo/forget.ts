/**
 * `holdfast repo forget [ids...] --keep-* ... [--prune]`: removes snapshots
 * by policy (per group, with restic's tables of what is kept and why) or by
 * id, then optionally prunes under the same lock. `--json` prints restic's
 * group list (and, with --prune, the prune report on a second line).
 */
import type { Command } from 'commander';
import { fail } from '../../common/errors.js';
import { formatGoTime } from '../../format/gotime.js';
import { isEmptyPolicy, parseDuration, type ForgetGroup, type GroupBy, type KeepReason, type RetentionPolicy } from '../../engine/forget-policy.js';
import type { ForgetResult } from '../../engine/forget.js';
import type { IdentifiedSnapshot } from '../../engine/snapshots.js';
import type { CliContext } from '../context.js';
import { printJson, printTable } from '../output.js';
import { addRepoOptions, flagsOf, openRepo, say, type RepoFlags } from './common.js';
import { addPruneOptions, printPruneReport, pruneLimit, prunePrinter } from './prune.js';

interface ForgetFlags {
  readonly keepLast?: string; readonly keepHourly?: string; readonly keepDaily?: string;
  readonly keepWeekly?: string; readonly keepMonthly?: string; readonly keepYearly?: string;
  readonly keepWithin?: string;
  readonly keepTag: string[];
  readonly host: string[];
  readonly tag: string[];
  readonly path: string[];
  readonly groupBy: string;
  readonly dryRun?: boolean;
  readonly prune?: boolean;
  readonly maxUnused: string;
  readonly repackSmall?: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function forgetCommand(ctx: CliContext, parent: Command): void {
  const cmd = addRepoOptions(parent.command('forget').description('remove snapshots by policy or by id').argument('[ids...]', 'snapshot ids (or unique prefixes, or "latest") to remove'))
    .option('-l, --keep-last <n>', 'keep the last n snapshots')
    .option('-H, --keep-hourly <n>', 'keep the last n hourly snapshots')
    .option('-d, --keep-daily <n>', 'keep the last n daily snapshots')
    .option('-w, --keep-weekly <n>', 'keep the last n weekly snapshots')
    .option('-m, --keep-monthly <n>', 'keep the last n monthly snapshots')
    .option('-y, --keep-yearly <n>', 'keep the last n yearly snapshots')
    .option('--keep-within <duration>', 'keep snapshots newer than duration (e.g. 1y5m7d2h) relative to the latest snapshot')
    .option('--keep-tag <taglist>', 'keep snapshots with all of these comma-separated tags (repeatable)', collect, [])
    .option('--host <host>', 'only consider snapshots of this host (repeatable)', collect, [])
    .option('--tag <taglist>', 'only consider snapshots with all of these comma-separated tags (repeatable)', collect, [])
    .option('--path <path>', 'only consider snapshots that include this path (repeatable)', collect, [])
    .option('-g, --group-by <group>', 'group snapshots by host, paths and/or tags, comma-separated ("" for no grouping)', 'host,paths')
    .option('-n, --dry-run', 'do not delete anything, just print what would be done')
    .option('--prune', 'run prune afterwards if snapshots were removed');
  addPruneOptions(cmd).action(async (ids: string[], opts: ForgetFlags, c: Command) => {
    const flags = flagsOf(c);
    const policy = policyOf(opts);
    const prune = opts.prune === true ? { ...pruneLimit(opts), onProgress: prunePrinter(ctx, flags) } : undefined;
    const repo = await openRepo(ctx, flags);
    if (ids.length === 0 && !isEmptyPolicy(policy)) say(ctx, flags, `Applying Policy: ${describePolicy(policy)}`);
    const { forget } = await import('../../engine/forget.js');
    const result = await forget(repo, {
      policy, groupBy: parseGroupBy(opts.groupBy), snapshotIds: ids, dryRun: opts.dryRun === true,
      hostname: opts.host, tags: tagLists(opts.tag), paths: opts.path,
      timeZoneOffsetMinutes: -new Date(Number(ctx.repoEnv.clock.nowNs() / 1_000_000n)).getTimezoneOffset(),
      ...(prune === undefined ? {} : { prune }),
    });
    report(ctx, flags, result);
  });
}

function count(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v.trim())) throw fail('INVALID_ARGUMENT', `${flag} needs a whole number, got ${JSON.stringify(v)}`);
  return Number(v);
}

function policyOf(o: ForgetFlags): RetentionPolicy {
  const p: RetentionPolicy = {};
  const counts = [['last', '--keep-last', o.keepLast], ['hourly', '--keep-hourly', o.keepHourly], ['daily', '--keep-daily', o.keepDaily],
    ['weekly', '--keep-weekly', o.keepWeekly], ['monthly', '--keep-monthly', o.keepMonthly], ['yearly', '--keep-yearly', o.keepYearly]] as const;
  for (const [key, flag, value] of counts) {
    const n = count(flag, value);
    if (n !== undefined) p[key] = n;
  }
  if (o.keepWithin !== undefined) p.within = parseDuration(o.keepWithin);
  const keepTags = tagLists(o.keepTag);
  if (keepTags.length > 0) p.tags = keepTags;
  return p;
}

/** Each occurrence of a tag option is one list; commas separate the tags within it. */
function tagLists(values: readonly string[]): string[][] {
  return values.map((v) => v.split(',').map((t) => t.trim()).filter((t) => t !== '')).filter((l) => l.length > 0);
}

export function parseGroupBy(s: string): GroupBy {
  const g: GroupBy = { host: false, paths: false, tags: false };
  for (const part of s.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    if (part === 'host') g.host = true;
    else if (part === 'paths') g.paths = true;
    else if (part === 'tags') g.tags = true;
    else throw fail('INVALID_ARGUMENT', `unknown grouping option: ${JSON.stringify(part)}`);
  }
  return g;
}

/** restic's ExpirePolicy.String. */
export function describePolicy(p: RetentionPolicy): string {
  const kinds = [['last', 'latest'], ['hourly', 'hourly'], ['daily', 'daily'], ['weekly', 'weekly'], ['monthly', 'monthly'], ['yearly', 'yearly']] as const;
  const keeps = kinds.flatMap(([k, word]) => {
    const n = p[k] ?? 0;
    return n > 0 ? [`${n} ${word}`] : n === -1 ? [`all ${word}`] : [];
  });
  const parts = keeps.length > 0 ? [`keep ${keeps.join(', ')} snapshots`] : [];
  if ((p.tags ?? []).length > 0) parts.push(`all snapshots with tags ${(p.tags ?? []).map((l) => `[${l.join(', ')}]`).join(' ')}`);
  const w = p.within;
  const within = w === undefined ? '' : [[w.years, 'y'], [w.months, 'm'], [w.days, 'd'], [w.hours, 'h']].filter(([n]) => n !== 0).map(([n, u]) => `${n}${u}`).join('');
  if (within !== '') parts.push(`all snapshots within ${within} of the newest`);
  return parts.length === 0 ? 'remove' : parts.join(' and ');
}

function report(ctx: CliContext, flags: RepoFlags, r: ForgetResult): void {
  if (flags.json === true) {
    printJson(ctx.stdout, r.groups.length > 0 || r.removed.length === 0 ? r.groups.map(groupJson) : [removedGroupJson(r.removed)]);
  } else {
    if (r.policyEmpty) say(ctx, flags, 'no policy was specified, no snapshots will be removed');
    for (const g of r.groups) printGroup(ctx, flags, g);
    if (r.groups.length === 0 && r.removed.length > 0) printList(ctx, flags, `remove ${r.removed.length} snapshots:`, r.removed, undefined);
    if (r.removed.length > 0) {
      const ids = r.removed.map((s) => s.id.slice(0, 8)).join(' ');
      say(ctx, flags, r.dryRun ? `Would have removed the following snapshots:\n{${ids}}\n` : `removed ${r.removed.length} snapshots: ${ids}`);
    }
  }
  if (r.prune !== undefined) printPruneReport(ctx, flags, r.prune);
}

function printGroup(ctx: CliContext, flags: RepoFlags, g: ForgetGroup): void {
  const header = groupHeader(g.key);
  if (header !== undefined) say(ctx, flags, header);
  if (g.keep.length > 0) printList(ctx, flags, `keep ${g.keep.length} snapshots:`, g.keep, g.reasons);
  if (g.remove.length > 0) printList(ctx, flags, `remove ${g.remove.length} snapshots:`, g.remove, undefined);
}

/** restic's PrintSnapshotGroupHeader; nothing when snapshots are not grouped. */
function groupHeader(key: ForgetGroup['key']): string | undefined {
  const info: string[] = [];
  if (key.hostname !== undefined && key.hostname !== '') info.push(`host [${key.hostname}]`);
  if (key.tags !== undefined) info.push(`tags [${key.tags.join(', ')}]`);
  if (key.paths !== undefined) info.push(`paths [${key.paths.join(', ')}]`);
  return info.length === 0 ? undefined : `snapshots for (${info.join(', ')}):`;
}

/** One table, oldest first as restic prints it, with the reasons column for kept snapshots. */
function printList(ctx: CliContext, flags: RepoFlags, title: string, list: readonly IdentifiedSnapshot[], reasons: readonly KeepReason[] | undefined): void {
  if (flags.quiet === true) return;
  const why = new Map((reasons ?? []).map((r) => [r.id, r.matches.join(', ')]));
  const sorted = [...list].sort((a, b) => (a.snapshot.time < b.snapshot.time ? -1 : a.snapshot.time > b.snapshot.time ? 1 : 0));
  const header = reasons === undefined ? ['ID', 'Time', 'Host', 'Tags', 'Paths'] : ['ID', 'Time', 'Host', 'Tags', 'Reasons', 'Paths'];
  const rows = sorted.map(({ id, snapshot: s }) => {
    const cells = [id.slice(0, 8), formatGoTime(s.time).replace('T', ' ').slice(0, 19), s.hostname ?? '', (s.tags ?? []).join(','), s.paths.join(', ')];
    if (reasons !== undefined) cells.splice(4, 0, why.get(id) ?? '');
    return cells;
  });
  say(ctx, flags, title);
  printTable(ctx.stdout, header, rows);
  say(ctx, flags, `${list.length} snapshots\n`);
}

/** A snapshot as restic's JSON output shows it: the file's fields plus id and short_id. */
function snapshotJson({ id, snapshot: s }: IdentifiedSnapshot): Record<string, unknown> {
  const optional: [string, unknown][] = [['parent', s.parent], ['hostname', s.hostname], ['username', s.username], ['uid', s.uid], ['gid', s.gid],
    ['excludes', s.excludes], ['tags', s.tags], ['original', s.original], ['program_version', s.programVersion]];
  const out: Record<string, unknown> = { time: formatGoTime(s.time), tree: s.tree, paths: s.paths };
  for (const [k, v] of optional) if (v !== undefined) out[k] = v;
  return { ...out, id, short_id: id.slice(0, 8) };
}

function groupJson(g: ForgetGroup): Record<string, unknown> {
  const byId = new Map([...g.keep, ...g.remove].map((s) => [s.id, s]));
  return {
    tags: g.key.tags ?? null, host: g.key.hostname ?? '', paths: g.key.paths ?? null,
    keep: g.keep.map(snapshotJson), remove: g.remove.map(snapshotJson),
    reasons: g.reasons.map((r) => ({ snapshot: snapshotJson(byId.get(r.id)!), matches: r.matches })),
  };
}

/** Explicit ids form no groups; they are shown as one group of removals. */
function removedGroupJson(removed: readonly IdentifiedSnapshot[]): Record<string, unknown> {
  return { tags: null, host: '', paths: null, keep: [], remove: removed.map(snapshotJson), reasons: [] };
}
