/**
 * Lock files (spec §8): who holds the repository, since when, and whether
 * exclusively. Encoded as Go marshals restic's Lock struct (uid/gid omitempty).
 */
import { fail } from '../common/errors.js';
import { formatGoTime, GO_ZERO_TIME_NS, parseGoTime } from './gotime.js';
import { goJsonString } from './gostring.js';
import { expectObject, optBool, optInt, optString, optUint, parseJson } from './json-reader.js';

export interface LockRecord {
  /** Nanoseconds since the Unix epoch. */
  time: bigint;
  exclusive: boolean;
  hostname: string;
  username: string;
  pid: number;
  uid?: number;
  gid?: number;
}

const isUint32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

export function encodeLock(l: LockRecord): Buffer {
  if (!Number.isSafeInteger(l.pid)) throw fail('INVALID_DATA', `lock pid ${l.pid} is not an integer`);
  for (const n of [l.uid ?? 0, l.gid ?? 0]) {
    if (!isUint32(n)) throw fail('INVALID_DATA', `lock uid/gid ${n} is not a uint32`);
  }
  const ids = `${l.uid ? `,"uid":${l.uid}` : ''}${l.gid ? `,"gid":${l.gid}` : ''}`;
  const json = `{"time":"${formatGoTime(l.time)}","exclusive":${l.exclusive},"hostname":${goJsonString(l.hostname)},`
    + `"username":${goJsonString(l.username)},"pid":${l.pid}${ids}}`;
  return Buffer.from(json, 'utf8');
}

/** Reads a lock; missing fields take Go's zero values. */
export function parseLock(b: Uint8Array): LockRecord {
  const obj = expectObject(parseJson(b), 'lock');
  const time = optString(obj, 'time', 'lock');
  const lock: LockRecord = {
    time: time === undefined ? GO_ZERO_TIME_NS : parseGoTime(time),
    exclusive: optBool(obj, 'exclusive', 'lock') ?? false,
    hostname: optString(obj, 'hostname', 'lock') ?? '',
    username: optString(obj, 'username', 'lock') ?? '',
    pid: Number(optInt(obj, 'pid', 'lock', 64) ?? 0n),
  };
  const uid = Number(optUint(obj, 'uid', 'lock', 32) ?? 0n);
  const gid = Number(optUint(obj, 'gid', 'lock', 32) ?? 0n);
  if (uid !== 0) lock.uid = uid;
  if (gid !== 0) lock.gid = gid;
  return lock;
}
