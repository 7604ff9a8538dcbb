/**
 * The Redis driver (DESIGN.md §4): `redis-cli --rdb -` receives an RDB over the
 * replication protocol and writes it to stdout, streamed as `dump.rdb`. Restore
 * writes dump.rdb into a directory; a server started with `--dir <dir>
 * --dbfilename dump.rdb` loads it. The password reaches redis-cli only through
 * REDISCLI_AUTH.
 *
 * With diskless replication (the default since Redis 7) the server ends the
 * transfer with a 40-byte EOF mark, which redis-cli 7.0 truncates from a file
 * but cannot from a pipe; it reports the true size on stderr ("Transfer finished
 * with success after N bytes"). So the last 40 bytes are held back until the
 * tool exits and cut to that size.
 */
import { join } from 'node:path';
import { writeFileAtomically } from './atomic-file.js';
import type { BackupSession, DriverContext, RestoreSource, SourceDriver } from './driver.js';
import { absolutePath, objectOf, optionalSecret, urlField } from './fields.js';
import { startChild, type RunningChild } from './process.js';
import { streamSession } from './session.js';

const EOF_MARK_SIZE = 40;

export interface RedisConfig {
  readonly host: string;
  readonly port: string;
  readonly user?: string;
  readonly password?: string;
}

export interface RedisTarget {
  readonly dir: string;
}

function parseConfig(raw: unknown): RedisConfig {
  const o = objectOf(raw, 'redis config');
  const url = urlField(o, 'url', ['redis:']);
  const password = url.password === '' ? optionalSecret(o, 'password') : decodeURIComponent(url.password);
  const user = url.username === '' ? undefined : decodeURIComponent(url.username);
  return Object.freeze({ host: url.hostname, port: url.port || '6379', user, password });
}

function parseTarget(raw: unknown): RedisTarget {
  return Object.freeze({ dir: absolutePath(objectOf(raw, 'redis restore target'), 'dir') });
}

function openBackup(config: RedisConfig, ctx: DriverContext): Promise<BackupSession> {
  const user = config.user === undefined ? [] : ['--user', config.user];
  const child = startChild({
    command: 'redis-cli',
    args: ['-h', config.host, '-p', config.port, ...user, '--no-auth-warning', '--rdb', '-'],
    baseEnv: ctx.env,
    env: config.password === undefined ? {} : { REDISCLI_AUTH: config.password },
    secrets: [config.password],
    signal: ctx.signal,
    what: `RDB transfer from redis ${config.host}:${config.port}`,
  });
  return Promise.resolve(streamSession(child, 'dump.rdb', withoutEofMark(child)));
}

/** The stdout of redis-cli cut to the size it reports, dropping a trailing EOF mark. */
async function* withoutEofMark(child: RunningChild): AsyncGenerator<Uint8Array> {
  let held = Buffer.alloc(0);
  let emitted = 0;
  for await (const chunk of child.stdout) {
    held = Buffer.concat([held, chunk]);
    if (held.length <= EOF_MARK_SIZE) continue;
    const out = held.subarray(0, held.length - EOF_MARK_SIZE);
    held = held.subarray(held.length - EOF_MARK_SIZE);
    emitted += out.length;
    yield out;
  }
  await child.done;
  const reported = /after (\d+) bytes/.exec(child.stderrTail())?.[1];
  const keep = reported === undefined ? held.length : Math.max(0, Number(reported) - emitted);
  if (keep > 0) yield held.subarray(0, keep);
}

function restore(_config: RedisConfig, target: RedisTarget, source: RestoreSource): Promise<void> {
  return writeFileAtomically(join(target.dir, 'dump.rdb'), source.readStream());
}

export const redisDriver: SourceDriver<RedisConfig, RedisTarget> = Object.freeze({
  name: 'redis',
  parseConfig,
  parseTarget,
  openBackup,
  restore,
});
