/** `holdfast repo backup`: backs up paths, or stdin under a file name. */
import type { Command } from 'commander';
import { fail } from '../../common/errors.js';
import { backup, type BackupSummary } from '../../engine/backup/archiver.js';
import type { BackupProgress } from '../../engine/backup/progress.js';
import type { CliContext } from '../context.js';
import { formatBytes, printJson } from '../output.js';
import { createProgressBar } from '../progress-bar.js';
import { addRepoOptions, flagsOf, openRepo, say } from './common.js';

interface BackupFlags {
  readonly tag: string[];
  readonly host?: string;
  readonly exclude: string[];
  readonly parent?: string;
  readonly force?: boolean;
  readonly stdin?: boolean;
  readonly stdinFilename: string;
  readonly compression: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function backupCommand(ctx: CliContext, parent: Command): void {
  addRepoOptions(parent.command('backup').description('create a new snapshot of files, directories or block devices').argument('[paths...]'))
    .option('--tag <tag>', 'add a tag (repeatable; commas separate several)', collect, [])
    .option('--host <name>', 'record this host name instead of the machine\'s')
    .option('-e, --exclude <pattern>', 'exclude paths matching a pattern (repeatable)', collect, [])
    .option('--parent <snapshot>', 'compare against this snapshot instead of the latest of the same host and paths')
    .option('-f, --force', 're-read every file, ignoring the parent snapshot')
    .option('--stdin', 'read the data to back up from standard input')
    .option('--stdin-filename <name>', 'file name to store standard input under', 'stdin')
    .option('--compression <mode>', 'auto, off or max', 'auto')
    .action(async (paths: string[], opts: BackupFlags, cmd: Command) => {
      const flags = flagsOf(cmd);
      if (!['auto', 'off', 'max'].includes(opts.compression)) throw fail('INVALID_ARGUMENT', '--compression must be auto, off or max');
      const repo = await openRepo(ctx, flags);
      const bar = createProgressBar(ctx.stderr, flags.quiet !== true && flags.json !== true);
      const summary = await backup(repo, {
        ...(opts.stdin === true ? { stdin: { filename: opts.stdinFilename, stream: ctx.stdin } } : { paths }),
        tags: opts.tag.flatMap((t) => t.split(',')).filter((t) => t !== ''),
        excludes: opts.exclude,
        compression: opts.compression as 'auto' | 'off' | 'max',
        force: opts.force === true,
        ...(opts.host === undefined ? {} : { hostname: opts.host }),
        ...(opts.parent === undefined ? {} : { parent: opts.parent }),
        ...(bar.active ? { onProgress: (p: Readonly<BackupProgress>) => bar.update({ ...p, elapsedSeconds: Number(p.elapsedNs) / 1e9 }) } : {}),
      });
      bar.done();
      report(ctx, flags, summary);
      if (summary.errors.length > 0) ctx.status.exitCode = 3;
    });
}

function report(ctx: CliContext, flags: { json?: boolean; quiet?: boolean }, s: BackupSummary): void {
  for (const e of s.errors) ctx.stderr.write(`error: ${e.path}: ${e.message}\n`);
  if (flags.json === true) {
    printJson(ctx.stdout, {
      message_type: 'summary', files_new: s.filesNew, files_changed: s.filesChanged, files_unmodified: s.filesUnmodified,
      dirs: s.dirs, data_blobs: s.dataBlobs, tree_blobs: s.treeBlobs, data_added: s.bytesStored,
      total_bytes_processed: s.bytesProcessed, snapshot_id: s.snapshotId, parent: s.parent ?? null, errors: s.errors,
    });
    return;
  }
  say(ctx, flags, `Files:       ${s.filesNew} new, ${s.filesChanged} changed, ${s.filesUnmodified} unmodified`);
  say(ctx, flags, `Dirs:        ${s.dirs}`);
  say(ctx, flags, `Added to the repository: ${formatBytes(s.bytesStored)} in ${s.packs} packs`);
  say(ctx, flags, `processed ${formatBytes(s.bytesProcessed)}`);
  say(ctx, flags, `snapshot ${s.snapshotId.slice(0, 8)} saved`);
}
