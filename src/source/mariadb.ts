/**
 * The MariaDB/MySQL driver (DESIGN.md §4): `mariadb-dump --single-transaction`
 * (a consistent InnoDB snapshot, with routines, triggers and events) streamed as
 * `<db>.sql`; restore pipes it into `mariadb <db>`, creating the database first
 * when missing. The password reaches the tools only through MYSQL_PWD.
 */
import { fail } from '../common/errors.js';
import type { BackupSession, DriverContext, RestoreSource, SourceDriver } from './driver.js';
import { objectOf, optionalPort, optionalSecret, requiredString, type Fields } from './fields.js';
import { safeName } from './postgres-conn.js';
import { run, runWithInput, startChild, type ChildOptions } from './process.js';
import { streamSession } from './session.js';

export interface MariadbConfig {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password?: string;
  readonly database: string;
}

export interface MariadbTarget {
  readonly database: string;
}

/** Names are quoted with backticks in CREATE DATABASE, so only plain names are accepted. */
function databaseName(o: Fields, field: string): string {
  const name = requiredString(o, field);
  if (!/^[A-Za-z0-9_$-]{1,64}$/.test(name)) throw fail('INVALID_ARGUMENT', `${field} must be 1-64 of A-Z a-z 0-9 _ $ -`);
  return name;
}

function parseConfig(raw: unknown): MariadbConfig {
  const o = objectOf(raw, 'mariadb config');
  return Object.freeze({
    host: requiredString(o, 'host'),
    port: optionalPort(o, 'port') ?? 3306,
    user: requiredString(o, 'user'),
    password: optionalSecret(o, 'password'),
    database: databaseName(o, 'database'),
  });
}

function parseTarget(raw: unknown, config: MariadbConfig): MariadbTarget {
  const o = objectOf(raw ?? {}, 'mariadb restore target');
  return Object.freeze({ database: o['database'] === undefined ? config.database : databaseName(o, 'database') });
}

/** Options shared by every child: where to connect, and the password in the environment only. */
function toolOptions(config: MariadbConfig, ctx: DriverContext, command: string, what: string): Omit<ChildOptions, 'args'> & { args: string[] } {
  return {
    command,
    args: ['--protocol=TCP', `--host=${config.host}`, `--port=${config.port}`, `--user=${config.user}`],
    baseEnv: ctx.env,
    env: config.password === undefined ? {} : { MYSQL_PWD: config.password },
    secrets: [config.password],
    signal: ctx.signal,
    what,
  };
}

function openBackup(config: MariadbConfig, ctx: DriverContext): Promise<BackupSession> {
  const opts = toolOptions(config, ctx, 'mariadb-dump', `mariadb-dump of database ${config.database}`);
  const flags = ['--single-transaction', '--routines', '--triggers', '--events'];
  const child = startChild({ ...opts, args: [...opts.args, ...flags, '--', config.database] });
  return Promise.resolve(streamSession(child, `${safeName(config.database)}.sql`));
}

async function restore(config: MariadbConfig, target: MariadbTarget, source: RestoreSource, ctx: DriverContext): Promise<void> {
  const opts = toolOptions(config, ctx, 'mariadb', `restore into database ${target.database}`);
  await run({ ...opts, args: [...opts.args, '-e', `CREATE DATABASE IF NOT EXISTS \`${target.database}\``] });
  await runWithInput({ ...opts, args: [...opts.args, target.database] }, source.readStream());
}

export const mariadbDriver: SourceDriver<MariadbConfig, MariadbTarget> = Object.freeze({
  name: 'mariadb',
  parseConfig,
  parseTarget,
  openBackup,
  restore,
});
