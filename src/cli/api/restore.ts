/**
 * `holdfast restore BACKUP --to TARGET [--wait]`: POST /v1/backups/:id/restore.
 * TARGET is the driver's restore target as a JSON object, exactly as the API
 * takes it, or a plain path, which means `{"path": TARGET}` (what a volume
 * restores into); a relative path is made absolute against the current
 * directory, since the server's own directory means nothing to the caller.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Job } from '../../catalog/types.js';
import type { CliContext } from '../context.js';
import { printJson } from '../output.js';
import { addApiOptions, apiFlagsOf, connect, enc, jsonObject, say } from './common.js';
import { jobFailure, waitForJob } from './wait.js';

export function restoreTarget(text: string): Record<string, unknown> {
  return text.trimStart().startsWith('{') ? jsonObject(text, '--to') : { path: resolve(text) };
}

export function restoreCommand(ctx: CliContext, program: Command): Command {
  return addApiOptions(program.command('restore').description('restore a backup on the server (through the API)').argument('<backup>', 'backup id'))
    .requiredOption('--to <target>', 'a path (for volumes: {"path": PATH}) or the driver\'s restore target as a JSON object')
    .option('--wait', 'wait until the restore is done, with a progress bar on a terminal')
    .action(async (backupId: string, opts: { to: string; wait?: boolean }, cmd: Command) => {
      const flags = apiFlagsOf(cmd);
      const target = restoreTarget(opts.to);
      const api = await connect(ctx, flags);
      const created = await api.post<Job>(`/v1/backups/${enc(backupId)}/restore`, { target });
      if (opts.wait !== true) {
        if (flags.json === true) return printJson(ctx.stdout, created);
        return say(ctx, flags, `restore of ${backupId} requested (job ${created.id}); follow it with: holdfast jobs watch ${created.id}`);
      }
      const job = await waitForJob(ctx, api, flags, created.id);
      if (flags.json === true) printJson(ctx.stdout, job);
      else if (job.state === 'SUCCEEDED') say(ctx, flags, `restored ${backupId} (job ${job.id})`);
      const failure = jobFailure(job);
      if (failure !== undefined) throw failure;
    });
}
