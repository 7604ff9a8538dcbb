/**
 * The redis driver. The source data lives under a unique key prefix in database
 * 9 of the shared Redis (127.0.0.1:6379); the restored dump.rdb is loaded by a
 * throwaway redis-server on a free port and only that prefix is compared.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { isHoldfastError } from '../../src/common/errors.js';
import { redisDriver } from '../../src/source/redis.js';
import { sourceConformance } from './conformance.js';
import { freePort, serviceSkip, sh, uniqueName } from './helpers.js';

const skip = await serviceSkip('Redis', 6379);
const DB = '9';

const cli = (port: number, ...args: string[]): Promise<string> => sh('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '-n', DB, ...args]);

const READERS: Record<string, (port: number, key: string) => Promise<string>> = {
  string: (p, k) => cli(p, 'GET', k),
  hash: (p, k) => cli(p, 'HGETALL', k).then(sortLines),
  list: (p, k) => cli(p, 'LRANGE', k, '0', '-1'),
  set: (p, k) => cli(p, 'SMEMBERS', k).then(sortLines),
  zset: (p, k) => cli(p, 'ZRANGE', k, '0', '-1', 'WITHSCORES'),
};

function sortLines(text: string): string {
  return text.split('\n').sort().join('\n');
}

async function fingerprint(port: number, prefix: string): Promise<string> {
  const keys = (await cli(port, '--scan', '--pattern', `${prefix}*`)).split('\n').filter(Boolean).sort();
  const parts: string[] = [];
  for (const key of keys) {
    const type = (await cli(port, 'TYPE', key)).trim();
    parts.push(`${key} ${type}\n${await (READERS[type] ?? (() => Promise.resolve('?')))(port, key)}`);
  }
  return parts.join('\n');
}

async function populate(prefix: string): Promise<void> {
  await cli(6379, 'SET', `${prefix}str`, 'hello\nworld');
  await cli(6379, 'HSET', `${prefix}hash`, 'a', '1', 'b', '2');
  await cli(6379, 'RPUSH', `${prefix}list`, 'x', 'y', 'z');
  await cli(6379, 'SADD', `${prefix}set`, 'p', 'q');
  await cli(6379, 'ZADD', `${prefix}zset`, '1.5', 'one', '2', 'two');
}

/** Starts a redis-server on `dir`, reads the prefix's fingerprint, and stops it. */
async function fingerprintOfDump(dir: string, prefix: string): Promise<string> {
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--dbfilename', 'dump.rdb', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 100 && !(await cli(port, 'PING').then((r) => r.includes('PONG'), () => false)); i++) await sleep(50);
    return await fingerprint(port, prefix);
  } finally {
    server.kill();
  }
}

sourceConformance('redis', redisDriver, async () => {
  const prefix = `${uniqueName('holdfast-test')}:`;
  const dir = await mkdtemp(join(tmpdir(), 'holdfast-redis-restore-'));
  await populate(prefix);
  const secret = 'Rds-secret-1a2b3c';
  return {
    config: { url: 'redis://127.0.0.1:6379' },
    target: { dir },
    fingerprint: () => fingerprint(6379, prefix),
    restoredFingerprint: () => fingerprintOfDump(dir, prefix),
    damage: async () => {
      for (const k of ['str', 'hash', 'list', 'set', 'zset']) await cli(6379, 'DEL', prefix + k);
    },
    failing: { config: { url: `redis://:${secret}@127.0.0.1:${await freePort()}` }, secret },
    abortKills: true, // diskless replication waits before sending (repl-diskless-sync-delay)
    cleanup: async () => {
      for (const k of ['str', 'hash', 'list', 'set', 'zset']) await cli(6379, 'DEL', prefix + k);
      await rm(dir, { recursive: true, force: true });
    },
  };
}, skip);

describe('redis driver', () => {
  it('takes the password from the URL or the config, and checks fields', () => {
    assert.equal(redisDriver.parseConfig({ url: 'redis://:p%20w@h:1' }).password, 'p w');
    assert.equal(redisDriver.parseConfig({ url: 'redis://h', password: 'x' }).password, 'x');
    assert.equal(redisDriver.parseConfig({ url: 'redis://h' }).port, '6379');
    assert.throws(() => redisDriver.parseConfig({ url: 'http://h' }), (e: unknown) => isHoldfastError(e, 'INVALID_ARGUMENT'));
    assert.throws(() => redisDriver.parseTarget({ dir: 'rel' }, redisDriver.parseConfig({ url: 'redis://h' })), (e: unknown) => isHoldfastError(e, 'INVALID_ARGUMENT'));
  });
});
