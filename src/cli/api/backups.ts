/**
 * `holdfast backup RESOURCE [--wait]` requests a backup through POST
 * /v1/backups; `holdfast backups list|get|delete` reads them back and removes them.
 */
import type { Command } from 'commander';
import { fail } from '../../common/errors.js';
import type { Backup, Job } from '../../catalog/types.js';
import type { CliContext } from '../context.js';
import { formatBytes, printJson, printTable } from '../output.js';
import { addApiOptions, apiFlagsOf, connect, enc, findResource, positive, say } from './common.js';
import { jobFailure, waitForJob } from './wait.js';

interface BackupOpts {
  readonly type?: string;
  readonly name?: string;
  readonly wait?: boolean;
}

const STATES = ['CREATING', 'AVAILABLE', 'FAILED', 'DELETING', 'DELETED'];

export function backupCommand(ctx: CliContext, program: Command): Command {
  return addApiOptions(program.command('backup').description('back up a resource on the server (through the API)').argument('<resource>', 'resource id or name'))
    .option('--type <type>', 'FULL or INCREMENTAL (the server\'s default: INCREMENTAL)')
    .option('--name <name>', 'name of the backup (default: the resource name and the time)')
    .option('--wait', 'wait until the backup is done, with a progress bar on a terminal')
    .action(async (ref: string, opts: BackupOpts, cmd: Command) => {
      const flags = apiFlagsOf(cmd);
      const type = opts.type?.toUpperCase();
      if (type !== undefined && type !== 'FULL' && type !== 'INCREMENTAL') throw fail('INVALID_ARGUMENT', `--type must be FULL or INCREMENTAL, got ${opts.type}`);
      const api = await connect(ctx, flags);
      const resource = await findResource(api, ref);
      const body = { resourceId: resource.id, ...(type === undefined ? {} : { type }), ...(opts.name === undefined ? {} : { name: opts.name }) };
      const created = await api.post<Backup & { job: Job }>('/v1/backups', body);
      if (opts.wait !== true) {
        if (flags.json === true) return printJson(ctx.stdout, created);
        return say(ctx, flags, `backup ${created.id} of ${resource.name} requested (job ${created.job.id}); follow it with: holdfast jobs watch ${created.job.id}`);
      }
      const job = await waitForJob(ctx, api, flags, created.job.id);
      const backup = await api.get<Backup>(`/v1/backups/${enc(created.id)}`);
      if (flags.json === true) printJson(ctx.stdout, { ...backup, job });
      else if (job.state === 'SUCCEEDED') say(ctx, flags, `backup ${backup.id} of ${resource.name} ${backup.state}: ${sizes(backup)}, snapshot ${backup.snapshotIds.map((s) => s.slice(0, 8)).join(', ')}`);
      const failure = jobFailure(job);
      if (failure !== undefined) throw failure;
    });
}

export function backupsCommand(ctx: CliContext, program: Command): Command {
  const group = program.command('backups').description('backups kept by the server (through the API)');

  addApiOptions(group.command('list').description('list backups, newest first'))
    .option('--resource <resource>', 'only backups of this resource (id or name)')
    .option('--state <state>', `only backups in this state (${STATES.join(', ')})`)
    .option('--limit <n>', 'at most this many')
    .action(async (opts: { resource?: string; state?: string; limit?: string }, cmd: Command) => {
      const flags = apiFlagsOf(cmd);
      const state = opts.state?.toUpperCase();
      if (state !== undefined && !STATES.includes(state)) throw fail('INVALID_ARGUMENT', `--state must be one of ${STATES.join(', ')}, got ${opts.state}`);
      const limit = opts.limit === undefined ? Infinity : positive(opts.limit, '--limit');
      const api = await connect(ctx, flags);
      const resourceId = opts.resource === undefined ? undefined : (await findResource(api, opts.resource)).id;
      const items = await api.listAll<Backup>('/v1/backups', { resourceId, state }, limit);
      if (flags.json === true) return printJson(ctx.stdout, items);
      printTable(ctx.stdout, ['ID', 'Name', 'Resource', 'Type', 'State', 'Requested', 'Size'],
        items.map((b) => [b.id, b.name, b.resourceId, b.type, b.state, b.timeRequested, b.logicalBytes === null ? '' : formatBytes(b.logicalBytes)]));
      say(ctx, flags, `${items.length} backups`);
    });

  addApiOptions(group.command('get').description('show one backup').argument('<backup>', 'backup id'))
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const flags = apiFlagsOf(cmd);
      const b = await (await connect(ctx, flags)).get<Backup>(`/v1/backups/${enc(id)}`);
      if (flags.json === true) return printJson(ctx.stdout, b);
      const lines = [['ID', b.id], ['Name', b.name], ['Resource', b.resourceId], ['Type', b.type], ['State', b.state], ['Size', sizes(b)],
        ['Snapshots', b.snapshotIds.join(', ')], ['Requested', b.timeRequested], ['Available', b.timeAvailable ?? ''], ['Job', b.jobId ?? '']];
      for (const [k, v] of lines) ctx.stdout.write(`${`${k}:`.padEnd(11)}${v}\n`);
    });

  addApiOptions(group.command('delete').description('delete a backup (its snapshot is forgotten by a delete job)').argument('<backup>', 'backup id'))
    .option('--wait', 'wait until the delete job is done')
    .action(async (id: string, opts: { wait?: boolean }, cmd: Command) => {
      const flags = apiFlagsOf(cmd);
      const api = await connect(ctx, flags);
      const created = await api.delete<Job>(`/v1/backups/${enc(id)}`);
      const job = opts.wait === true ? await waitForJob(ctx, api, flags, created.id) : created;
      if (flags.json === true) printJson(ctx.stdout, job);
      else if (opts.wait !== true) say(ctx, flags, `delete of ${id} requested (job ${job.id})`);
      else if (job.state === 'SUCCEEDED') say(ctx, flags, `deleted backup ${id}`);
      const failure = jobFailure(job);
      if (opts.wait === true && failure !== undefined) throw failure;
    });
  return group;
}

function sizes(b: Backup): string {
  const logical = b.logicalBytes === null ? '?' : formatBytes(b.logicalBytes);
  return b.storedBytes === null ? logical : `${logical} (${formatBytes(b.storedBytes)} added to the repository)`;
}
