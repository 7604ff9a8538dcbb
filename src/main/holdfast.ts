/**
 * Composition root of the command line: reads the environment once, builds
 * the repository environment (clock, randomness, identity) and runs the CLI;
 * `holdfast serve` starts the server through the `serve` hook.
 */
import { readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { repoEnvironment } from './environment.js';
import { runCli } from '../cli/program.js';
import type { CliContext } from '../cli/context.js';

const env = process.env;
const ctx: CliContext = {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  settings: {
    ...(env['HOLDFAST_REPOSITORY'] === undefined ? {} : { repository: env['HOLDFAST_REPOSITORY'] }),
    ...(env['HOLDFAST_PASSWORD'] === undefined ? {} : { password: env['HOLDFAST_PASSWORD'] }),
    ...(env['HOLDFAST_PASSWORD_FILE'] === undefined ? {} : { passwordFile: env['HOLDFAST_PASSWORD_FILE'] }),
    ...(env['HOLDFAST_SERVER'] === undefined ? {} : { server: env['HOLDFAST_SERVER'] }),
    ...(env['HOLDFAST_TOKEN'] === undefined ? {} : { token: env['HOLDFAST_TOKEN'] }),
    ...(env['HOLDFAST_TOKEN_FILE'] === undefined ? {} : { tokenFile: env['HOLDFAST_TOKEN_FILE'] }),
  },
  repoEnv: repoEnvironment(),
  serve: async (opts) => {
    // Loaded only here: the repository commands stay free of the server's dependencies.
    const { startServer } = await import('./serve.js');
    const { loadConfig, withFileSettings } = await import('./config.js');
    // Precedence: command-line flags, then the environment, then the config file's server section, then defaults.
    const file = opts.config === undefined ? {} : loadConfig(opts.config).server;
    const masterKey = env['HOLDFAST_MASTER_KEY'] ?? file.masterKey;
    const catalogUrl = env['HOLDFAST_CATALOG_URL'] ?? file.catalogUrl;
    const server = await startServer({
      ...withFileSettings(opts, file),
      ...(masterKey === undefined ? {} : { masterKey }),
      ...(catalogUrl === undefined ? {} : { catalogUrl }),
      ...(file.volumesDir === undefined ? {} : { volumesDir: file.volumesDir }),
      ...(opts.config === undefined ? {} : { configFile: opts.config }),
      ...((opts.tls ?? file.tls) === undefined ? {} : { tls: opts.tls ?? file.tls }),
      ...(file.publicBaseUrl === undefined ? {} : { publicBaseUrl: file.publicBaseUrl }),
      ...(file.region === undefined ? {} : { region: file.region }),
      ...(file.regions === undefined ? {} : { regions: file.regions }),
      toolEnv: env,
      say: (line) => process.stdout.write(`${line}\n`),
    });
    // A graceful stop releases running jobs for the next start and exits 0; a second signal does not wait.
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) process.exit(128 + constants.signals[signal]);
      stopping = true;
      process.stderr.write(`holdfast: ${signal}, stopping (running jobs resume at the next start)\n`);
      server.stop().then(() => process.exit(0), (err: unknown) => {
        process.stderr.write(`holdfast: stopping failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (opts.config !== undefined) process.on('SIGHUP', () => { void server.reloadConfig(); });
    await new Promise<never>(() => undefined);
  },
  readFile: (path) => readFile(path, 'utf8'),
  status: { exitCode: 0 },
};

process.exitCode = await runCli(ctx, process.argv.slice(2));
