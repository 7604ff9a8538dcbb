/** `holdfast serve`: runs the service on its embedded default (SQLite catalog, local repositories). */
import type { Command } from 'commander';
import { fail } from '../common/errors.js';
import type { CliContext } from './context.js';

export function addServeCommand(program: Command, ctx: CliContext): void {
  program.command('serve')
    .description('run the Holdfast service (API, job runner, catalog) until stopped')
    .option('--data-dir <dir>', 'where the catalog, repositories and master key live', './holdfast-data')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '8080')
    .action(async (flags: { dataDir: string; host: string; port: string }) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw fail('INVALID_ARGUMENT', `--port must be a port number, got ${flags.port}`);
      if (ctx.serve === undefined) throw fail('INTERNAL', 'this build cannot serve');
      await ctx.serve({ dataDir: flags.dataDir, host: flags.host, port });
    });
}
