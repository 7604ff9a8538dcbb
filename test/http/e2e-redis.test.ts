/**
 * Redis end to end through /v1. The source is the machine's Redis
 * (127.0.0.1:6379): keys of every type (strings, an integer, binary and large
 * values, small and large hashes, lists, sets, int sets, sorted sets, a key
 * with a TTL) under a unique prefix in database 9. The backup's RDB is restored
 * into a directory that a private redis-server on a free port loads (`--dir`),
 * so the restored data can be read while the shared server keeps its changes;
 * only the prefix is compared (the RDB holds the whole shared server).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { freePort, serviceSkip, uniqueName } from '../source/helpers.js';
import { checkRepositories, startE2E, type E2E } from './e2e-helpers.js';

const skip = await serviceSkip('Redis', 6379);
const DB = '9';

/** redis-cli against a port; `input` is fed on stdin (commands, or the last argument with -x). */
function cli(port: number, args: readonly string[], input?: string | Buffer): Buffer {
  return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '-n', DB, ...args], { input, maxBuffer: 64 << 20 });
}

const text = (port: number, ...args: string[]): string => cli(port, ['--no-raw', ...args]).toString('utf8');

const READERS: Record<string, (port: number, key: string) => string> = {
  string: (p, k) => text(p, 'GET', k),
  hash: (p, k) => sortedPairs(text(p, 'HGETALL', k)),
  list: (p, k) => text(p, 'LRANGE', k, '0', '-1'),
  set: (p, k) => sortLines(text(p, 'SMEMBERS', k)),
  zset: (p, k) => text(p, 'ZRANGE', k, '0', '-1', 'WITHSCORES'),
};

/** Reply lines without redis-cli's "  12) " numbering. */
function items(s: string): string[] {
  return s.split('\n').filter(Boolean).map((l) => l.replace(/^\s*\d+\) /, ''));
}

/** A set's members in a stable order (a reloaded server may iterate differently). */
function sortLines(s: string): string {
  return items(s).sort().join('\n');
}

/** A hash's field-value pairs in a stable order, each field kept with its value. */
function sortedPairs(s: string): string {
  const flat = items(s);
  const pairs: string[] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push(`${flat[i]} => ${flat[i + 1]}`);
  return pairs.sort().join('\n');
}

/** Every key under the prefix with its type and value, in a stable order. */
function fingerprint(port: number, prefix: string): string {
  const keys = cli(port, ['--scan', '--pattern', `${prefix}*`]).toString('utf8').split('\n').filter(Boolean).sort();
  return keys.map((key) => {
    const type = text(port, 'TYPE', key).trim();
    const read = READERS[type];
    assert.ok(read, `no reader for ${type}`);
    return `${key} ${type}\n${read(port, key)}`;
  }).join('\n');
}

function populate(prefix: string, binary: Buffer): void {
  const lines = [
    `SET ${prefix}str "hello\\nworld \\xe2\\x98\\x83"`,
    `SET ${prefix}int 1234567`,
    `SET ${prefix}big ${'0123456789abcdef'.repeat(8192)}`,
    `SET ${prefix}ttl "expires later" EX 86400`,
    `HSET ${prefix}hash a 1 b 2 "with space" "x y"`,
    `HSET ${prefix}bighash ${Array.from({ length: 1000 }, (_, i) => `f${i} v${i * i}`).join(' ')}`,
    `RPUSH ${prefix}list ${Array.from({ length: 300 }, (_, i) => `item-${i}`).join(' ')}`,
    `SADD ${prefix}set p q r "s t"`,
    `SADD ${prefix}intset ${Array.from({ length: 50 }, (_, i) => String(i * 37)).join(' ')}`,
    `ZADD ${prefix}zset 1.5 one 2 two -3.25 minus 1e10 huge`,
  ];
  cli(6379, [], `${lines.join('\n')}\n`);
  cli(6379, ['-x', 'SET', `${prefix}bin`], binary);
}

function ping(port: number): boolean {
  try {
    return text(port, 'PING').includes('PONG');
  } catch {
    return false; // not listening yet
  }
}

/** A private redis-server loading `dir`/dump.rdb; `started` receives the child at once, so after() can stop it. */
async function startRedis(dir: string, started: (child: ChildProcess) => void): Promise<number> {
  const port = await freePort();
  started(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--dbfilename', 'dump.rdb', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }));
  for (let i = 0; i < 400 && !ping(port); i++) await sleep(50);
  return port;
}

describe('redis end to end', { skip }, () => {
  let e2e: E2E;
  let restored: ChildProcess | undefined;
  const prefix = `${uniqueName('holdfast-e2e')}:`;
  before(async () => { e2e = await startE2E('redis'); });
  after(async () => {
    restored?.kill();
    const keys = cli(6379, ['--scan', '--pattern', `${prefix}*`]).toString('utf8').split('\n').filter(Boolean);
    if (keys.length > 0) cli(6379, ['DEL', ...keys]);
    await e2e.stop();
  });

  it('restores an RDB that a redis-server loads with equal keys and values', async () => {
    const binary = Buffer.concat([Buffer.from([0, 255, 13, 10, 0]), randomBytes(4096), Buffer.alloc(64)]);
    populate(prefix, binary);
    const before_ = fingerprint(6379, prefix);
    assert.equal(before_.split('\n').filter((l) => l.startsWith(prefix)).length, 11);
    const resourceId = await e2e.createResource('cache', 'redis', { url: 'redis://127.0.0.1:6379' });
    const backup = await e2e.backup(resourceId);
    assert.equal(backup.extra.input.filename, 'dump.rdb');

    cli(6379, [], `DEL ${prefix}hash ${prefix}bin\nRPUSH ${prefix}list extra\nSET ${prefix}str changed\nSET ${prefix}new x\n`);
    assert.notEqual(fingerprint(6379, prefix), before_);

    const dir = join(e2e.dir, 'redis-restore');
    mkdirSync(dir);
    await e2e.restore(backup.id, { dir });
    const port = await startRedis(dir, (child) => { restored = child; });
    const after_ = fingerprint(port, prefix);
    assert.equal(after_, before_);
    assert.ok(cli(port, ['GET', `${prefix}bin`]).equals(Buffer.concat([binary, Buffer.from('\n')])), 'binary value differs');
    const ttl = Number(text(port, 'TTL', `${prefix}ttl`).replace(/\D/g, ''));
    assert.ok(ttl > 80_000 && ttl <= 86_400, `TTL ${ttl}`);
  });

  it('leaves every repository it used passing restic check --read-data', async () => {
    await checkRepositories(e2e);
  });
});
