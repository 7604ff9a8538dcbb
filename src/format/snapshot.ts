/**
 * Snapshot files (spec §6): the JSON restic keeps in snapshots/, naming the
 * root tree of one backup. Encoded like Go marshals restic's Snapshot struct,
 * so field order and omitempty match; newer fields (program_version) included.
 */
import { fail } from '../common/errors.js';
import { isId } from '../common/ids.js';
import { formatGoTime, GO_ZERO_TIME_NS, parseGoTime } from './gotime.js';
import { goJsonString } from './gostring.js';
import { expectObject, optString, optStringArray, optUint, parseJson, type JsonObject } from './json-reader.js';

export interface Snapshot {
  /** Nanoseconds since the Unix epoch. */
  time: bigint;
  parent?: string;
  tree: string;
  paths: string[];
  hostname?: string;
  username?: string;
  uid?: number;
  gid?: number;
  excludes?: string[];
  tags?: string[];
  original?: string;
  programVersion?: string;
}

const stringList = (list: readonly string[]): string => `[${list.map(goJsonString).join(',')}]`;

/** What Go's omitempty drops: zero, "", an empty slice, a nil pointer. */
const isEmpty = (v: unknown): boolean => v === undefined || v === '' || v === 0 || (Array.isArray(v) && v.length === 0);

function member<T extends string | number | readonly string[]>(key: string, value: T | undefined, encode: (v: T) => string): string {
  return value === undefined || isEmpty(value) ? '' : `,"${key}":${encode(value)}`;
}

function checkId(id: string | undefined, what: string): void {
  if (id !== undefined && !isId(id)) throw fail('INVALID_DATA', `snapshot ${what} ${JSON.stringify(id.slice(0, 80))} is not an id`);
}

const quoteId = (id: string): string => `"${id}"`;

/** Compact JSON in Go's field order, omitting what restic's omitempty omits (uid/gid 0 too). */
export function encodeSnapshot(s: Snapshot): Buffer {
  checkId(s.tree, 'tree');
  checkId(s.parent, 'parent');
  checkId(s.original, 'original');
  const json = [
    `{"time":"${formatGoTime(s.time)}"`,
    member('parent', s.parent, quoteId),
    `,"tree":"${s.tree}","paths":${stringList(s.paths)}`,
    member('hostname', s.hostname, goJsonString),
    member('username', s.username, goJsonString),
    member('uid', s.uid, String),
    member('gid', s.gid, String),
    member('excludes', s.excludes, stringList),
    member('tags', s.tags, stringList),
    member('original', s.original, quoteId),
    member('program_version', s.programVersion, goJsonString),
    '}',
  ];
  return Buffer.from(json.join(''), 'utf8');
}

function optId(obj: JsonObject, key: string): string | undefined {
  const id = optString(obj, key, 'snapshot');
  checkId(id, key);
  return id;
}

/** Sets only what is present and non-empty, so parse(encode(s)) keeps one shape. */
function setOptional(s: Snapshot, obj: JsonObject): void {
  const optional: Partial<Snapshot> = {
    parent: optId(obj, 'parent'),
    hostname: optString(obj, 'hostname', 'snapshot'),
    username: optString(obj, 'username', 'snapshot'),
    uid: Number(optUint(obj, 'uid', 'snapshot', 32) ?? 0),
    gid: Number(optUint(obj, 'gid', 'snapshot', 32) ?? 0),
    excludes: optStringArray(obj, 'excludes', 'snapshot'),
    tags: optStringArray(obj, 'tags', 'snapshot'),
    original: optId(obj, 'original'),
    programVersion: optString(obj, 'program_version', 'snapshot'),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (!isEmpty(value)) Object.assign(s, { [key]: value });
  }
}

/** Reads a snapshot written by restic (any version) or by us; a snapshot without a tree is INVALID_DATA. */
export function parseSnapshot(bytes: Uint8Array): Snapshot {
  const obj = expectObject(parseJson(bytes), 'snapshot');
  const tree = optId(obj, 'tree');
  if (tree === undefined) throw fail('INVALID_DATA', 'snapshot has no tree');
  const time = optString(obj, 'time', 'snapshot');
  const s: Snapshot = {
    time: time === undefined ? GO_ZERO_TIME_NS : parseGoTime(time),
    tree,
    paths: optStringArray(obj, 'paths', 'snapshot') ?? [],
  };
  setOptional(s, obj);
  return s;
}
