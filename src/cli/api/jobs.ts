/** `holdfast jobs list|get|cancel|watch`: the server's asynchronous work, through /v1/jobs. */
import type { Command } from 'commander';
import { fail } from '../../common/errors.js';
import type { Job } from '../../catalog/types.js';
import type { CliContext } from '../context.js';
import { formatBytes, printJson, printTable } from '../output.js';
import { addApiOptions, apiFlagsOf, connect, enc, findResource, positive, say } from './common.js';
import { describeJob, jobFailure, waitForJob } from './wait.js';

const STATES = ['ACCEPTED', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'CANCELED'];

export function jobsCommand(ctx: CliContext, program: Command): Command {
  const group = program.command('jobs').description('backup and restore jobs on the server (through the API)');

  addApiOptions(group.command('list').description('list jobs, newest first'))
    .option('--state <state>', `only jobs in this state (${STATES.join(', ')})`)
    .option('--resource <resource>', 'only jobs of this resource (id or name)')
    .option('--kind <kind>', 'only jobs of this kind (backup, restore…)')
    .option('--limit <n>', 'at most this many')
    .action(async (opts: { state?: string; resource?: string; kind?: string; limit?: string }, cmd: Command) => {
      const flags = apiFlagsOf(cmd);
      const state = opts.state?.toUpperCase();
      if (state !== undefined && !STATES.includes(state)) throw fail('INVALID_ARGUMENT', `--state must be one of ${STATES.join(', ')}, got ${opts.state}`);
      const limit = opts.limit === undefined ? Infinity : positive(opts.limit, '--limit');
      const api = await connect(ctx, flags);
      const resourceId = opts.resource === undefined ? undefined : (await findResource(api, opts.resource)).id;
      const items = await api.listAll<Job>('/v1/jobs', { state, resourceId, kind: opts.kind }, limit);
      if (flags.json === true) return printJson(ctx.stdout, items);
      printTable(ctx.stdout, ['ID', 'Kind', 'State', 'Progress', 'Resource', 'Backup', 'Created'], items.map((j) => [
        j.id, j.kind, j.state, `${j.progress.percent}% ${formatBytes(j.progress.bytesDone)}`, j.resourceId ?? '', j.backupId ?? '', j.createdAt,
      ]));
      say(ctx, flags, `${items.length} jobs`);
    });

  addApiOptions(group.command('get').description('show one job').argument('<job>', 'job id'))
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const flags = apiFlagsOf(cmd);
      const job = await (await connect(ctx, flags)).get<Job>(`/v1/jobs/${enc(id)}`);
      if (flags.json === true) return printJson(ctx.stdout, job);
      ctx.stdout.write(`${describeJob(job)}\n`);
    });

  addApiOptions(group.command('cancel').description('cancel a job (a running one stops at its next heartbeat)').argument('<job>', 'job id'))
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const flags = apiFlagsOf(cmd);
      const job = await (await connect(ctx, flags)).post<Job>(`/v1/jobs/${enc(id)}/cancel`);
      if (flags.json === true) return printJson(ctx.stdout, job);
      say(ctx, flags, job.state === 'CANCELED' ? `job ${job.id} canceled` : `cancel of job ${job.id} requested (now ${job.state})`);
    });

  addApiOptions(group.command('watch').description('follow a job until it ends, with a progress bar on a terminal').argument('<job>', 'job id'))
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const flags = apiFlagsOf(cmd);
      const job = await waitForJob(ctx, await connect(ctx, flags), flags, id);
      if (flags.json === true) printJson(ctx.stdout, job);
      else say(ctx, flags, describeJob(job));
      const failure = jobFailure(job);
      if (failure !== undefined) throw failure;
    });
  return group;
}
