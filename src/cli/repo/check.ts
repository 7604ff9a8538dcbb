/**
 * `holdfast repo check [--read-data]`: checks the repository the way restic
 * does and prints restic's step lines, then every problem with full ids and
 * the snapshots it affects. Errors exit 1 ("Fatal: repository contains
 * errors"); hints alone do not.
 */
import type { Command } from 'commander';
import type { Writable } from 'node:stream';
import { fail } from '../../common/errors.js';
import type { CheckPhase, CheckProblem, CheckProgress, CheckReport } from '../../engine/check/checker.js';
import type { CliContext } from '../context.js';
import { printJson } from '../output.js';
import { createProgressBar } from '../progress-bar.js';
import { addRepoOptions, flagsOf, openRepo, say, type RepoFlags } from './common.js';

const PHASE_LINES: Readonly<Record<CheckPhase, string>> = {
  'load-indexes': 'load indexes',
  'check-packs': 'check all packs',
  'check-structure': 'check snapshots, trees and blobs',
  'read-data': 'read all data',
};

export function checkCommand(ctx: CliContext, parent: Command): void {
  addRepoOptions(parent.command('check').description('check the repository for errors'))
    .option('--read-data', 'also read all data and verify every pack and blob')
    .action(async (opts: { readData?: boolean }, cmd: Command) => {
      const flags = flagsOf(cmd);
      const repo = await openRepo(ctx, flags);
      say(ctx, flags, 'create shared lock for repository');
      const bar = createProgressBar(packsLabelled(ctx.stderr), flags.quiet !== true && flags.json !== true);
      const started = ctx.repoEnv.clock.nowNs();
      const { checkRepository } = await import('../../engine/check/checker.js');
      const report = await checkRepository(repo, {
        readData: opts.readData === true,
        onPhase: (phase) => say(ctx, flags, PHASE_LINES[phase]),
        onProgress: (p: CheckProgress) => bar.update({
          bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, filesDone: p.packsDone, filesTotal: p.packsTotal,
          elapsedSeconds: Number(ctx.repoEnv.clock.nowNs() - started) / 1e9,
        }),
      });
      bar.done();
      if (flags.json === true) printJson(ctx.stdout, report);
      else printReport(ctx, flags, report);
      if (report.errors.length > 0) throw fail('CHECK_FAILED', 'repository contains errors', { data: { errors: report.errors.length } });
    });
}

/** The shared progress bar counts files; a check counts packs. */
function packsLabelled(out: CliContext['stderr']): Writable & { isTTY?: boolean; columns?: number } {
  return Object.assign(Object.create(out) as Writable, {
    isTTY: out.isTTY,
    columns: out.columns,
    write: (chunk: string) => out.write(chunk.replace(/ files\b/, ' packs')),
  });
}

/** Hints go to stdout, errors to stderr, as restic does. */
function printReport(ctx: CliContext, flags: RepoFlags, report: CheckReport): void {
  for (const h of report.hints) say(ctx, flags, describeProblem(h));
  for (const e of report.errors) ctx.stderr.write(`error: ${describeProblem(e)}\n`);
  if (report.damagedSnapshots.length > 0) {
    const n = report.damagedSnapshots.length;
    ctx.stderr.write(`\n${n} ${n === 1 ? 'snapshot uses' : 'snapshots use'} missing or damaged data and cannot be restored in full:\n`);
    for (const id of report.damagedSnapshots) ctx.stderr.write(`  ${id}\n`);
  }
  if (report.errors.length === 0) say(ctx, flags, 'no errors were found');
}

/** One line per problem, with the full id and the snapshots affected. */
export function describeProblem(p: CheckProblem): string {
  switch (p.kind) {
    case 'pack-missing': return `pack ${p.pack}: does not exist${usedBy(p.snapshots)}`;
    case 'pack-unreferenced': return `pack ${p.pack}: not referenced in any index`;
    case 'pack-size': return `pack ${p.pack}: unexpected file size: got ${p.actual}, expected ${p.expected}${usedBy(p.snapshots)}`;
    case 'pack-damaged': return `pack ${p.pack}: ${p.message}${usedBy(p.snapshots)}`;
    case 'index-damaged': return `index ${p.index}: ${p.message}`;
    case 'snapshot-damaged': return `snapshot ${p.snapshot}: ${p.message}`;
    case 'tree-missing': case 'tree-damaged': return `tree ${p.tree}: ${p.message}${usedBy(p.snapshots)}`;
    case 'blob-missing': return `blob ${p.blob} of file ${JSON.stringify(p.path)}: not found in index${usedBy(p.snapshots)}`;
  }
}

function usedBy(snapshots: readonly string[]): string {
  return snapshots.length === 0 ? '' : ` (used by snapshots ${snapshots.join(', ')})`;
}
