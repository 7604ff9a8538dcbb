/**
 * `holdfast resources list|get|create|update|delete`: the server's inventory
 * through /v1/resources. Wherever a resource is named, its id or its unique
 * name will do.
 */
import type { Command } from 'commander';
import { fail } from '../../common/errors.js';
import type { Resource } from '../../catalog/types.js';
import type { CliContext } from '../context.js';
import { printJson, printTable } from '../output.js';
import { addApiOptions, apiFlagsOf, connect, enc, findResource, jsonObject, say } from './common.js';

export function resourcesCommand(ctx: CliContext, program: Command): Command {
  const group = program.command('resources').description('the server\'s inventory of resources (through the API)');

  addApiOptions(group.command('list').description('list resources'))
    .action(async (_opts: unknown, cmd: Command) => {
      const flags = apiFlagsOf(cmd);
      const items = await (await connect(ctx, flags)).listAll<Resource>('/v1/resources');
      if (flags.json === true) return printJson(ctx.stdout, items);
      printTable(ctx.stdout, ['ID', 'Name', 'Driver', 'Kind', 'Created'], items.map((r) => [r.id, r.name, r.driver, r.kind, r.createdAt]));
      say(ctx, flags, `${items.length} resources`);
    });

  addApiOptions(group.command('get').description('show one resource').argument('<resource>', 'id or name'))
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const flags = apiFlagsOf(cmd);
      show(ctx, flags.json === true, await findResource(await connect(ctx, flags), ref));
    });

  addApiOptions(group.command('create').description('add a resource'))
    .requiredOption('--name <name>', 'unique name')
    .requiredOption('--driver <driver>', 'volume, postgres, mariadb, redis or sqlite')
    .requiredOption('--config <json>', 'the driver\'s configuration as a JSON object, e.g. \'{"path":"/srv/data"}\'')
    .action(async (opts: { name: string; driver: string; config: string }, cmd: Command) => {
      const flags = apiFlagsOf(cmd);
      const body = { name: opts.name, driver: opts.driver, config: jsonObject(opts.config, '--config') };
      const created = await (await connect(ctx, flags)).post<Resource>('/v1/resources', body);
      if (flags.json === true) return printJson(ctx.stdout, created);
      say(ctx, flags, `created resource ${created.id} (${created.name})`);
    });

  addApiOptions(group.command('update').description('rename a resource or replace its configuration').argument('<resource>', 'id or name'))
    .option('--name <name>', 'new name')
    .option('--config <json>', 'new configuration as a JSON object (replaces the old one)')
    .action(async (ref: string, opts: { name?: string; config?: string }, cmd: Command) => {
      const flags = apiFlagsOf(cmd);
      if (opts.name === undefined && opts.config === undefined) throw fail('INVALID_ARGUMENT', 'nothing to update: give --name and/or --config');
      const api = await connect(ctx, flags);
      const { id } = await findResource(api, ref);
      const patch = { ...(opts.name === undefined ? {} : { name: opts.name }), ...(opts.config === undefined ? {} : { config: jsonObject(opts.config, '--config') }) };
      const updated = await api.patch<Resource>(`/v1/resources/${enc(id)}`, patch);
      if (flags.json === true) return printJson(ctx.stdout, updated);
      say(ctx, flags, `updated resource ${updated.id} (${updated.name})`);
    });

  addApiOptions(group.command('delete').description('remove a resource from the inventory').argument('<resource>', 'id or name'))
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const flags = apiFlagsOf(cmd);
      const api = await connect(ctx, flags);
      const { id, name } = await findResource(api, ref);
      await api.delete(`/v1/resources/${enc(id)}`);
      if (flags.json === true) return printJson(ctx.stdout, { id, name, deleted: true });
      say(ctx, flags, `deleted resource ${id} (${name})`);
    });
  return group;
}

function show(ctx: CliContext, json: boolean, r: Resource): void {
  if (json) return printJson(ctx.stdout, r);
  const lines = [['ID', r.id], ['Name', r.name], ['Driver', r.driver], ['Kind', r.kind], ['Config', JSON.stringify(r.config)], ['Created', r.createdAt], ['Updated', r.updatedAt]];
  if (Object.keys(r.aliases).length > 0) lines.push(['Aliases', JSON.stringify(r.aliases)]);
  for (const [k, v] of lines) ctx.stdout.write(`${`${k}:`.padEnd(9)}${v}\n`);
}
