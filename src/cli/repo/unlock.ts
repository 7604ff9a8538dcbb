/** `holdfast repo unlock`: removes stale locks (or, with --remove-all, every lock). */
import type { Command } from 'commander';
import { removeLocks } from '../../repository/lock.js';
import type { CliContext } from '../context.js';
import { printJson } from '../output.js';
import { addRepoOptions, flagsOf, openRepo, say } from './common.js';

export function unlockCommand(ctx: CliContext, parent: Command): void {
  addRepoOptions(parent.command('unlock').description('remove stale locks'))
    .option('--remove-all', 'remove all locks, even those of running processes')
    .action(async (o: { removeAll?: boolean }, cmd: Command) => {
      const flags = flagsOf(cmd);
      const removed = await removeLocks(await openRepo(ctx, flags), o.removeAll === true);
      if (flags.json === true) printJson(ctx.stdout, { removed });
      else say(ctx, flags, `removed ${removed} locks`);
    });
}
