/** Lock JSON as restic 0.14 writes and reads it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHoldfastError } from '../../src/common/errors.js';
import { parseGoTime } from '../../src/format/gotime.js';
import { encodeLock, parseLock, type LockRecord } from '../../src/format/lockfile.js';

const u8 = (s: string): Buffer => Buffer.from(s, 'utf8');

test('encodes the lock restic 0.14 was observed writing (spec §8) byte for byte', () => {
  const observed = '{"time":"2026-11-22T04:26:38.126946048Z","exclusive":false,"hostname":"vm","username":"root","pid":12570}';
  const lock: LockRecord = { time: parseGoTime('2026-11-22T04:26:38.126946048Z'), exclusive: false, hostname: 'vm', username: 'root', pid: 12570 };
  assert.equal(encodeLock(lock).toString(), observed);
  assert.deepEqual(parseLock(u8(observed)), lock);
});

test('uid and gid are written only when non-zero', () => {
  const lock: LockRecord = { time: 0n, exclusive: true, hostname: 'h<', username: 'u', pid: 1, uid: 1000, gid: 0 };
  assert.equal(encodeLock(lock).toString(), '{"time":"1970-01-01T00:00:00Z","exclusive":true,"hostname":"h\\u003c","username":"u","pid":1,"uid":1000}');
  assert.deepEqual(parseLock(encodeLock(lock)), { time: 0n, exclusive: true, hostname: 'h<', username: 'u', pid: 1, uid: 1000 });
});

test('reads local-offset times and ignores unknown fields', () => {
  const lock = parseLock(u8('{"time":"2026-11-22T05:26:38+01:00","exclusive":true,"hostname":"a","username":"b","pid":7,"gid":5,"x":1}'));
  assert.deepEqual(lock, { time: parseGoTime('2026-11-22T04:26:38Z'), exclusive: true, hostname: 'a', username: 'b', pid: 7, gid: 5 });
});

test('rejects malformed locks with INVALID_DATA', () => {
  const bad = ['', '[]', '{"time":"x"}', '{"exclusive":"yes"}', '{"pid":1.5}', '{"uid":-1}', '{"hostname":3}'];
  for (const json of bad) assert.throws(() => parseLock(u8(json)), (e) => isHoldfastError(e, 'INVALID_DATA'), json);
});
