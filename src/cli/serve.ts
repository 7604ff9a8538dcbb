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
    .option('--tls-cert <file>', 'PEM certificate (chain): serve HTTPS only; needs --tls-key')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--config <file>', 'YAML file declaring server settings, tenants, credentials, resources and policies (re-read on SIGHUP)')
    .action(async (flags: { dataDir: string; host: string; port: string; tlsCert?: string; tlsKey?: string; config?: string }, cmd: Command) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw fail('INVALID_ARGUMENT', `--port must be a port number, got ${flags.port}`);
      if (ctx.serve === undefined) throw fail('INTERNAL', 'this build cannot serve');
      const tls = await readTls(ctx, flags.tlsCert, flags.tlsKey);
      const given = (['dataDir', 'host', 'port'] as const).filter((k) => cmd.getOptionValueSource(k) !== 'default');
      await ctx.serve({
        dataDir: flags.dataDir, host: flags.host, port, given, ...(tls === undefined ? {} : { tls }), ...(flags.config === undefined ? {} : { config: flags.config }),
      });
    });
}

/** Both TLS files or neither; each must be readable (whether they hold a usable pair, the server checks). */
async function readTls(ctx: CliContext, certFile: string | undefined, keyFile: string | undefined): Promise<{ cert: string; key: string } | undefined> {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) throw fail('INVALID_ARGUMENT', '--tls-cert and --tls-key go together: give both or neither');
  return { cert: await readFlagFile(ctx, '--tls-cert', certFile), key: await readFlagFile(ctx, '--tls-key', keyFile) };
}

async function readFlagFile(ctx: CliContext, flag: string, file: string): Promise<string> {
  try {
    return await ctx.readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw fail('INVALID_ARGUMENT', `cannot read the ${flag} file ${file}: ${code}`);
  }
}
