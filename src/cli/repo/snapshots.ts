/** `holdfast repo snapshots`: lists snapshots, oldest first, like restic. */
import type { Command } from 'commander';
import { formatGoTime } from '../../format/gotime.js';
import { loadSnapshots, matchesFilter } from '../../engine/snapshots.js';
import { withLock } from '../../repository/lock.js';
import type { CliContext } from '../context.js';
import { printJson, printTable } from '../output.js';
import { addRepoOptions, flagsOf, openRepo } from './common.js';

export function snapshotsCommand(ctx: CliContext, parent: Command): void {
  addRepoOptions(parent.command('snapshots').description('list snapshots'))
    .option('--host <name>', 'only snapshots of this host')
    .option('--tag <tag>', 'only snapshots with this tag')
    .action(async (opts: { host?: string; tag?: string }, cmd: Command) => {
      const flags = flagsOf(cmd);
      const repo = await openRepo(ctx, flags);
      const filter = { ...(opts.host === undefined ? {} : { hostname: opts.host }), ...(opts.tag === undefined ? {} : { tags: [opts.tag] }) };
      const list = (await withLock(repo, { exclusive: false }, () => loadSnapshots(repo))).filter((s) => matchesFilter(s.snapshot, filter));
      if (flags.json === true) {
        printJson(ctx.stdout, list.map(({ id, snapshot: s }) => ({ ...s, time: formatGoTime(s.time), id, short_id: id.slice(0, 8) })));
        return;
      }
      printTable(ctx.stdout, ['ID', 'Time', 'Host', 'Tags', 'Paths'], list.map(({ id, snapshot: s }) => [
        id.slice(0, 8), formatGoTime(s.time).replace('T', ' ').slice(0, 19), s.hostname ?? '', (s.tags ?? []).join(','), s.paths.join(', '),
      ]));
      ctx.stdout.write(`${list.length} snapshots\n`);
    });
}
