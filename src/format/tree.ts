/**
 * Tree blobs (spec §6): `{"nodes":[…]}\n`, one node per directory entry,
 * sorted by raw name bytes. A tree's id is the hash of these exact bytes, so
 * encodeTree reproduces Go encoding/json of restic 0.14's Node field for field;
 * only then do our trees deduplicate against restic's.
 */
import { fail } from '../common/errors.js';
import { isId } from '../common/ids.js';
import type { NodeType } from './filemode.js';
import { formatGoTime, GO_ZERO_TIME_NS, parseGoTime } from './gotime.js';
import { goJsonString, goJsonStringFromBytes, goQuoteBytes, goUnquoteBytes } from './gostring.js';
import {
  expectArray, expectObject, field, optString, optUint, parseJson, type JsonObject, type JsonValue,
} from './json-reader.js';

export type { NodeType } from './filemode.js';

export interface ExtendedAttribute {
  readonly name: string;
  readonly value: Buffer;
}

export interface TreeNode {
  name: Buffer;
  type: NodeType;
  /** Go os.FileMode, not st_mode. */
  mode?: number;
  /** Nanoseconds since the Unix epoch. */
  mtime: bigint;
  atime: bigint;
  ctime: bigint;
  uid: number;
  gid: number;
  user?: string;
  group?: string;
  inode?: bigint;
  deviceId?: bigint;
  size?: bigint;
  links?: bigint;
  linktarget?: Buffer;
  extendedAttributes?: ExtendedAttribute[];
  device?: bigint;
  /** Data blob ids of a file ([] when empty); null for every other type. */
  content: string[] | null;
  subtree?: string;
  error?: string;
}

const NODE_TYPES: ReadonlySet<string> = new Set<NodeType>(['file', 'dir', 'symlink', 'dev', 'chardev', 'fifo', 'socket', 'irregular']);

/** Bytewise order, which is Go's string comparison. */
export function compareNames(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** Sorts in place (stably) by name and returns the array. */
export function sortNodes(nodes: TreeNode[]): TreeNode[] {
  return nodes.sort((a, b) => compareNames(a.name, b.name));
}

function badNode(node: TreeNode, why: string): never {
  throw fail('INVALID_DATA', `tree node ${JSON.stringify(goQuoteBytes(node.name))}: ${why}`);
}

const isUint32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

function checkNode(node: TreeNode, prev: TreeNode | undefined): void {
  if (node.name.length === 0) badNode(node, 'empty name');
  if (prev !== undefined && compareNames(prev.name, node.name) >= 0) {
    badNode(node, compareNames(prev.name, node.name) === 0 ? 'duplicate name' : 'names are not sorted');
  }
  if (node.type === 'file' && node.content === null) badNode(node, 'a file needs content ([] when empty)');
  if (node.type === 'dir' && node.subtree === undefined) badNode(node, 'a directory needs a subtree');
  for (const [key, n] of [['uid', node.uid], ['gid', node.gid], ['mode', node.mode ?? 0]] as const) {
    if (!isUint32(n)) badNode(node, `${key} ${n} is not a uint32`);
  }
  for (const id of [...(node.content ?? []), ...(node.subtree === undefined ? [] : [node.subtree])]) {
    if (!isId(id)) badNode(node, `${JSON.stringify(id.slice(0, 80))} is not a blob id`);
  }
}

/** A `,"key":n` member, or '' when Go's omitempty drops a zero. */
function omitZero(key: string, n: number | bigint | undefined): string {
  return n === undefined || n === 0 || n === 0n ? '' : `,"${key}":${n}`;
}

/** A `,"key":"s"` member, or '' when Go's omitempty drops an empty string. */
function omitEmpty(key: string, s: string | undefined): string {
  return s === undefined || s === '' ? '' : `,"${key}":${goJsonString(s)}`;
}

function encodeXattrs(attrs: readonly ExtendedAttribute[] | undefined): string {
  if (attrs === undefined || attrs.length === 0) return '';
  const items = attrs.map((a) => `{"name":${goJsonString(a.name)},"value":"${a.value.toString('base64')}"}`);
  return `,"extended_attributes":[${items.join(',')}]`;
}

function encodeContent(content: readonly string[] | null): string {
  return content === null ? 'null' : `[${content.map((id) => `"${id}"`).join(',')}]`;
}

/** One node as Go marshals restic 0.14's Node: fields in struct order, omitempty honoured. */
function encodeNode(n: TreeNode): string {
  return [
    `{"name":${goJsonString(goQuoteBytes(n.name))},"type":"${n.type}"`,
    omitZero('mode', n.mode),
    `,"mtime":"${formatGoTime(n.mtime)}","atime":"${formatGoTime(n.atime)}","ctime":"${formatGoTime(n.ctime)}"`,
    `,"uid":${n.uid},"gid":${n.gid}`,
    omitEmpty('user', n.user),
    omitEmpty('group', n.group),
    omitZero('inode', n.inode),
    omitZero('device_id', n.deviceId),
    omitZero('size', n.size),
    omitZero('links', n.links),
    n.linktarget === undefined || n.linktarget.length === 0 ? '' : `,"linktarget":${goJsonStringFromBytes(n.linktarget)}`,
    encodeXattrs(n.extendedAttributes),
    omitZero('device', n.device),
    `,"content":${encodeContent(n.content)}`,
    n.subtree === undefined ? '' : `,"subtree":"${n.subtree}"`,
    omitEmpty('error', n.error),
    '}',
  ].join('');
}

/**
 * The tree blob for these nodes, byte-identical to restic 0.14's. Throws
 * INVALID_DATA for unsorted, duplicate or empty names, a file without
 * content or a directory without subtree: restic's check rejects those trees.
 */
export function encodeTree(nodes: readonly TreeNode[]): Buffer {
  nodes.forEach((node, i) => checkNode(node, nodes[i - 1]));
  return Buffer.from(`{"nodes":[${nodes.map(encodeNode).join(',')}]}\n`, 'utf8');
}

function uint32Field(obj: JsonObject, key: string): number {
  return Number(optUint(obj, key, 'node', 32) ?? 0n);
}

function timeField(obj: JsonObject, key: string): bigint {
  const s = optString(obj, key, 'node');
  return s === undefined ? GO_ZERO_TIME_NS : parseGoTime(s);
}

function idField(v: unknown, what: string): string {
  if (typeof v !== 'string' || !isId(v)) throw fail('INVALID_DATA', `${what}: not a blob id`);
  return v;
}

function decodeContent(obj: JsonObject): string[] | null {
  const v = field(obj, 'content');
  return v === undefined ? null : expectArray(v, 'node.content').map((id) => idField(id, 'node.content'));
}

function decodeBase64(s: string, what: string): Buffer {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) {
    throw fail('INVALID_DATA', `${what}: not standard base64`);
  }
  return Buffer.from(s, 'base64');
}

function decodeXattrs(obj: JsonObject): ExtendedAttribute[] | undefined {
  const v = field(obj, 'extended_attributes');
  if (v === undefined) return undefined;
  const attrs = expectArray(v, 'node.extended_attributes').map((item) => {
    const a = expectObject(item, 'node.extended_attributes[]');
    const value = optString(a, 'value', 'xattr');
    return { name: optString(a, 'name', 'xattr') ?? '', value: value === undefined ? Buffer.alloc(0) : decodeBase64(value, 'xattr.value') };
  });
  return attrs.length === 0 ? undefined : attrs;
}

/** linktarget_raw (restic 0.16+, base64) is exact even for non-UTF-8 targets, so it wins. */
function decodeLinkTarget(obj: JsonObject): Buffer | undefined {
  const raw = optString(obj, 'linktarget_raw', 'node');
  const plain = optString(obj, 'linktarget', 'node');
  const target = raw !== undefined ? decodeBase64(raw, 'node.linktarget_raw') : plain === undefined ? undefined : Buffer.from(plain, 'utf8');
  return target === undefined || target.length === 0 ? undefined : target;
}

function decodeType(obj: JsonObject): NodeType {
  const type = optString(obj, 'type', 'node') ?? '';
  if (!NODE_TYPES.has(type)) throw fail('INVALID_DATA', `node: unknown type ${JSON.stringify(type.slice(0, 40))}`);
  return type as NodeType;
}

/** Puts `value` on the node only when Go would write it, so decode(encode(x)) has one shape. */
function setIfPresent<K extends keyof TreeNode>(node: TreeNode, key: K, value: TreeNode[K] | undefined): void {
  if (value !== undefined && value !== '' && value !== 0 && value !== 0n) node[key] = value;
}

function decodeNode(item: JsonValue): TreeNode {
  const obj = expectObject(item, 'tree node');
  const node: TreeNode = {
    name: goUnquoteBytes(optString(obj, 'name', 'node') ?? ''),
    type: decodeType(obj),
    mtime: timeField(obj, 'mtime'),
    atime: timeField(obj, 'atime'),
    ctime: timeField(obj, 'ctime'),
    uid: uint32Field(obj, 'uid'),
    gid: uint32Field(obj, 'gid'),
    content: decodeContent(obj),
  };
  setIfPresent(node, 'mode', uint32Field(obj, 'mode'));
  setIfPresent(node, 'user', optString(obj, 'user', 'node'));
  setIfPresent(node, 'group', optString(obj, 'group', 'node'));
  for (const [key, json] of [['inode', 'inode'], ['deviceId', 'device_id'], ['size', 'size'], ['links', 'links'], ['device', 'device']] as const) {
    setIfPresent(node, key, optUint(obj, json, 'node', 64));
  }
  setIfPresent(node, 'linktarget', decodeLinkTarget(obj));
  setIfPresent(node, 'extendedAttributes', decodeXattrs(obj));
  const subtree = field(obj, 'subtree');
  if (subtree !== undefined) node.subtree = idField(subtree, 'node.subtree');
  setIfPresent(node, 'error', optString(obj, 'error', 'node'));
  return node;
}

/**
 * Reads any valid tree JSON, restic's own included. Unknown fields are
 * ignored; large integers stay exact. Order and completeness are the
 * checker's business, not the decoder's, so damaged trees can still be listed.
 */
export function decodeTree(bytes: Uint8Array): TreeNode[] {
  const root = expectObject(parseJson(bytes), 'tree');
  const nodes = field(root, 'nodes');
  return nodes === undefined ? [] : expectArray(nodes, 'tree.nodes').map(decodeNode);
}
