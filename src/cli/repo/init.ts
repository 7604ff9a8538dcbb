/** `holdfast repo init`: creates a new repository (format version 2 unless told otherwise). */
import type { Command } from 'commander';
import { fail } from '../../common/errors.js';
import { initRepository } from '../../repository/open.js';
import type { CliContext } from '../context.js';
import { printJson } from '../output.js';
import { addRepoOptions, flagsOf, readPassword, repoBackend, say } from './common.js';

export function initCommand(ctx: CliContext, parent: Command): void {
  addRepoOptions(parent.command('init').description('create a new repository'))
    .option('--repository-version <n>', 'format version: 1 or 2 (default 2, with compression)', '2')
    .action(async (opts: { repositoryVersion: string }, cmd: Command) => {
      const flags = flagsOf(cmd);
      const version = Number(opts.repositoryVersion);
      if (version !== 1 && version !== 2) throw fail('INVALID_ARGUMENT', '--repository-version must be 1 or 2');
      const backend = repoBackend(ctx, flags);
      const repo = await initRepository(backend, await readPassword(ctx, flags), ctx.repoEnv, { version });
      if (flags.json === true) printJson(ctx.stdout, { message_type: 'initialized', id: repo.config.id, repository: backend.location });
      else say(ctx, flags, `created holdfast repository ${repo.config.id.slice(0, 10)} at ${backend.location}\n\nPlease note that knowledge of your password is required to access\nthe repository. Losing your password means that your data is\nirrecoverably lost.`);
    });
}
