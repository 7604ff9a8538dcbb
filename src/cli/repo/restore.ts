/**
 * `holdfast repo restore SNAPSHOT[:PATH] --target DIR`: restores a snapshot,
 * or the part of it under PATH, into DIR; with `--target -` a single file is
 * written to standard output.
 */
import type { Command } from 'commander';
import { fail } from '../../common/errors.js';
import { withLock } from '../../repository/lock.js';
import type { CliContext } from '../context.js';
import { formatBytes, printJson } from '../output.js';
import { createProgressBar } from '../progress-bar.js';
import { addRepoOptions, flagsOf, openRepo, say } from './common.js';

export function restoreCommand(ctx: CliContext, parent: Command): void {
  addRepoOptions(parent.command('restore').description('restore a snapshot (or SNAPSHOT:PATH, a part of it) into a directory').argument('<snapshot>', 'snapshot id, or "latest"'))
    .requiredOption('-t, --target <dir>', 'directory to restore into, or - to write one file to standard output')
    .option('--path <path>', 'restore only this path of the snapshot (same as SNAPSHOT:PATH)')
    .action(async (ref: string, opts: { target: string; path?: string }, cmd: Command) => {
      const flags = flagsOf(cmd);
      const [snapshot, inline] = splitRef(ref);
      const subpath = opts.path ?? inline ?? '/';
      const repo = await openRepo(ctx, flags);
      if (opts.target === '-') {
        const { dumpFile } = await import('../../engine/restore/dump.js');
        await withLock(repo, { exclusive: false }, () => dumpFile(repo, snapshot, subpath, ctx.stdout));
        return;
      }
      const bar = createProgressBar(ctx.stderr, flags.quiet !== true && flags.json !== true);
      const started = ctx.repoEnv.clock.nowNs();
      const { restore } = await import('../../engine/restore/restorer.js');
      const summary = await restore(repo, {
        snapshot, subpath, target: opts.target,
        onProgress: (p) => bar.update({ ...p, elapsedSeconds: Number(ctx.repoEnv.clock.nowNs() - started) / 1e9 }),
      });
      bar.done();
      for (const e of summary.errors) ctx.stderr.write(`error: ${e.path}: ${e.message}\n`);
      if (flags.json === true) printJson(ctx.stdout, { message_type: 'summary', snapshot_id: summary.snapshotId, files_restored: summary.files, dirs: summary.dirs, bytes_restored: summary.bytes, errors: summary.errors });
      else say(ctx, flags, `restored snapshot ${summary.snapshotId.slice(0, 8)} to ${opts.target}: ${summary.files} files, ${formatBytes(summary.bytes)}`);
      if (summary.errors.length > 0) throw fail('INVALID_DATA', `there were ${summary.errors.length} errors restoring`);
    });
}

function splitRef(ref: string): [string, string | undefined] {
  const i = ref.indexOf(':');
  return i < 0 ? [ref, undefined] : [ref.slice(0, i), ref.slice(i + 1)];
}
