/** The `holdfast` command line: builds the command tree and maps errors to restic's exit codes. */
import { Command, CommanderError } from 'commander';
import { ERRORS, HoldfastError, errorMessage } from '../common/errors.js';
import type { CliContext } from './context.js';
import { backupCommand } from './repo/backup.js';
import { initCommand } from './repo/init.js';
import { keyCommand } from './repo/key.js';
import { lsCommand } from './repo/ls.js';
import { restoreCommand } from './repo/restore.js';
import { snapshotsCommand } from './repo/snapshots.js';
import { unlockCommand } from './repo/unlock.js';
import { repoExtensions } from './repo/extensions.js';
import { addServeCommand } from './serve.js';
import { apiCommands } from './api/index.js';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('holdfast').description('Holdfast: backups in restic-format repositories').exitOverride();
  program.configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) });
  const repo = program.command('repo').description('work on a repository directly');
  for (const add of [initCommand, backupCommand, restoreCommand, snapshotsCommand, lsCommand, keyCommand, unlockCommand, ...repoExtensions]) add(ctx, repo);
  addServeCommand(program, ctx);
  const apiGroups = apiCommands(ctx, program);
  for (const c of [program, repo, ...program.commands, ...repo.commands, ...apiGroups.flatMap((g) => g.commands)]) c.exitOverride().configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) });
  return program;
}

/** Runs the CLI; returns the process exit code. */
export async function runCli(ctx: CliContext, argv: readonly string[]): Promise<number> {
  try {
    await buildProgram(ctx).parseAsync([...argv], { from: 'user' });
    return ctx.status.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 1;
    if (err instanceof HoldfastError) {
      ctx.stderr.write(`Fatal: ${err.message}\n`);
      return ERRORS[err.code].exitCode;
    }
    ctx.stderr.write(`Fatal: unexpected error: ${errorMessage(err)}\n`);
    return 1;
  }
}
