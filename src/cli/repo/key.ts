/** `holdfast repo key list|add|remove`: manage the passwords that open a repository. */
import type { Command } from 'commander';
import { fail } from '../../common/errors.js';
import { parseId } from '../../common/ids.js';
import { addKey, listKeys, removeKey } from '../../repository/keys.js';
import { withLock } from '../../repository/lock.js';
import type { CliContext } from '../context.js';
import { printJson, printTable } from '../output.js';
import { addRepoOptions, flagsOf, openRepo, say } from './common.js';

export function keyCommand(ctx: CliContext, parent: Command): void {
  const key = parent.command('key').description('manage repository keys (passwords)');
  addRepoOptions(key.command('list').description('list keys')).action(async (_o: unknown, cmd: Command) => {
    const flags = flagsOf(cmd);
    const repo = await openRepo(ctx, flags);
    const keys = await listKeys(repo);
    if (flags.json === true) printJson(ctx.stdout, keys);
    else printTable(ctx.stdout, [' ID', 'User', 'Host', 'Created'], keys.map((k) => [`${k.current ? '*' : ' '}${k.id.slice(0, 8)}`, k.username ?? '', k.hostname ?? '', k.created.slice(0, 19).replace('T', ' ')]));
  });
  addRepoOptions(key.command('add').description('add a key with a new password'))
    .requiredOption('--new-password-file <file>', 'file holding the new password')
    .action(async (o: { newPasswordFile: string }, cmd: Command) => {
      const flags = flagsOf(cmd);
      const repo = await openRepo(ctx, flags);
      const password = (await ctx.readFile(o.newPasswordFile)).trim();
      const id = await withLock(repo, { exclusive: true }, () => addKey(repo, password, ctx.repoEnv));
      if (flags.json === true) printJson(ctx.stdout, { id });
      else say(ctx, flags, `saved new key as ${id.slice(0, 8)}`);
    });
  addRepoOptions(key.command('remove').description('remove a key').argument('<id>', 'full key id or a unique prefix'))
    .action(async (prefix: string, _o: unknown, cmd: Command) => {
      const flags = flagsOf(cmd);
      const repo = await openRepo(ctx, flags);
      const matches = (await listKeys(repo)).filter((k) => k.id.startsWith(prefix));
      if (matches.length !== 1) throw fail(matches.length === 0 ? 'NOT_FOUND' : 'AMBIGUOUS_ID', `key ${prefix} matches ${matches.length} keys`);
      const id = parseId(matches[0]!.id);
      await withLock(repo, { exclusive: true }, () => removeKey(repo, id));
      say(ctx, flags, `removed key ${id.slice(0, 8)}`);
    });
}
