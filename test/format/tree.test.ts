/** Tree blobs: Go-exact encoding, tolerant decoding, ordering rules. Real-restic checks are in tree-restic.test.ts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHoldfastError } from '../../src/common/errors.js';
import { hashId } from '../../src/common/ids.js';
import { GO_ZERO_TIME_NS, parseGoTime } from '../../src/format/gotime.js';
import { compareNames, decodeTree, encodeTree, sortNodes, type TreeNode } from '../../src/format/tree.js';

const id = (s: string): string => hashId(Buffer.from(s));
const u8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const T = parseGoTime('2026-11-22T04:23:50.327800147Z');
const invalid = (e: unknown): boolean => isHoldfastError(e, 'INVALID_DATA');

function fileNode(name: Buffer, extra: Partial<TreeNode> = {}): TreeNode {
  return { name, type: 'file', mode: 0o644, mtime: T, atime: T, ctime: T, uid: 0, gid: 0, content: [], ...extra };
}

test('encodes the file node restic 0.14.0 was observed writing (spec §6), byte for byte', () => {
  const node = fileNode(u8('hard.txt'), {
    user: 'root', group: 'root', inode: 2189224n, deviceId: 65024n, size: 13n, links: 2n, content: [id('c')],
  });
  const expected = `{"nodes":[{"name":"hard.txt","type":"file","mode":420,"mtime":"2026-11-22T04:23:50.327800147Z",`
    + `"atime":"2026-11-22T04:23:50.327800147Z","ctime":"2026-11-22T04:23:50.327800147Z","uid":0,"gid":0,`
    + `"user":"root","group":"root","inode":2189224,"device_id":65024,"size":13,"links":2,"content":["${id('c')}"]}]}\n`;
  assert.equal(encodeTree([node]).toString('utf8'), expected);
  assert.deepEqual(decodeTree(Buffer.from(expected)), [node]);
});

test('every field in Go struct order; omitempty drops zero values but never uid, gid or content', () => {
  const full: TreeNode = {
    name: u8('dev0'), type: 'chardev', mode: 2 ** 26 + 2 ** 21 + 0o620, mtime: GO_ZERO_TIME_NS, atime: 0n, ctime: 1n,
    uid: 1000, gid: 100, user: 'u<', group: 'g&', inode: 18446744073709551615n, deviceId: 9007199254740993n,
    size: 1n, links: 3n, linktarget: Buffer.from([0x74, 0xff]), extendedAttributes: [{ name: 'user.k', value: Buffer.from([0, 1, 255]) }],
    device: 1025n, content: null, subtree: id('s'), error: 'lstat: "x"',
  };
  const expected = `{"name":"dev0","type":"chardev","mode":69206416,"mtime":"0001-01-01T00:00:00Z","atime":"1970-01-01T00:00:00Z",`
    + `"ctime":"1970-01-01T00:00:00.000000001Z","uid":1000,"gid":100,"user":"u\\u003c","group":"g\\u0026",`
    + `"inode":18446744073709551615,"device_id":9007199254740993,"size":1,"links":3,"linktarget":"t\\ufffd",`
    + `"extended_attributes":[{"name":"user.k","value":"AAH/"}],"device":1025,"content":null,"subtree":"${id('s')}",`
    + `"error":"lstat: \\"x\\""}`;
  assert.equal(encodeTree([full]).toString('utf8'), `{"nodes":[${expected}]}\n`);

  const bare: TreeNode = { name: u8('p'), type: 'fifo', mode: 0, mtime: T, atime: T, ctime: T, uid: 0, gid: 0, user: '', inode: 0n, size: 0n, linktarget: Buffer.alloc(0), extendedAttributes: [], content: null, error: '' };
  const stamp = '"2026-11-22T04:23:50.327800147Z"';
  assert.equal(encodeTree([bare]).toString('utf8'), `{"nodes":[{"name":"p","type":"fifo","mtime":${stamp},"atime":${stamp},"ctime":${stamp},"uid":0,"gid":0,"content":null}]}\n`);
});

test('an empty directory is {"nodes":[]}', () => {
  assert.equal(encodeTree([]).toString(), '{"nodes":[]}\n');
  assert.deepEqual(decodeTree(u8('{"nodes":[]}\n')), []);
  assert.deepEqual(decodeTree(u8('{"nodes":null}')), []);
});

test('the spec example name is written as "we\\\\\\"ird\\\\\\\\name é"', () => {
  const json = encodeTree([fileNode(u8('we"ird\\name é'))]).toString('utf8');
  assert.ok(json.startsWith(String.raw`{"nodes":[{"name":"we\\\"ird\\\\name é",`), json);
});

const AWKWARD: Buffer[] = [
  u8('we"ird\\name é'), u8('new\nline'), Buffer.from([0x62, 0xff, 0x00, 0x7f]), u8('nbsp\u00a0'), u8('emoji😀'),
  u8('melt\u{1fae0}'), u8('tab\t'), u8('<&>'), u8('\u2028'), Buffer.from([0xed, 0xa0, 0x80]), u8('\ufffd'), u8('x'),
];

test('decode(encode(x)) == x for awkward names, link targets and attributes', () => {
  const nodes = sortNodes(AWKWARD.map((name, i) => i % 3 === 0
    ? { name, type: 'symlink' as const, mode: 134218239, mtime: T, atime: T - BigInt(i), ctime: GO_ZERO_TIME_NS, uid: i, gid: 2 * i, linktarget: u8(`../t${i}<é>`), links: 1n, content: null }
    : fileNode(name, { content: [id(String(i)), id('x')], size: BigInt(2 ** 53 + i), extendedAttributes: [{ name: `user.${i}`, value: name }] })));
  const bytes = encodeTree(nodes);
  assert.deepEqual(decodeTree(bytes), nodes);
  assert.deepEqual(encodeTree(decodeTree(bytes)), bytes);
});

test('a non-UTF-8 link target is lossy, exactly as in Go: \\ufffd on write, U+FFFD on read', () => {
  const node: TreeNode = { name: u8('l'), type: 'symlink', mtime: T, atime: T, ctime: T, uid: 0, gid: 0, linktarget: Buffer.from([0x61, 0xfe, 0x62]), content: null };
  const bytes = encodeTree([node]);
  assert.ok(bytes.toString().includes('"linktarget":"a\\ufffdb"'));
  const [back] = decodeTree(bytes);
  assert.deepEqual(back?.linktarget, u8('a\ufffdb'));
  // Go re-marshals the decoded string with the character itself, so restic 0.14 could not round-trip it either.
  assert.deepEqual(encodeTree(decodeTree(bytes)).toString(), bytes.toString().replace('\\ufffd', '\ufffd'));
});

test('names sort bytewise like Go strings, and sortNodes is stable', () => {
  const names = ['b', 'a', 'B', 'é', 'a\x00', 'A', 'z', '~'].map(u8).concat([Buffer.from([0xff]), Buffer.from([0xc3])]);
  const sorted = sortNodes(names.map((n) => fileNode(n))).map((n) => n.name.toString('hex'));
  assert.deepEqual(sorted, ['41', '42', '61', '6100', '62', '7a', '7e', 'c3', 'c3a9', 'ff']);
  assert.ok(compareNames(u8('a'), u8('b')) < 0 && compareNames(u8('b'), u8('a')) > 0 && compareNames(u8('a'), u8('a')) === 0);
  const twins = [fileNode(u8('s'), { uid: 1 }), fileNode(u8('a')), fileNode(u8('s'), { uid: 2 })];
  assert.deepEqual(sortNodes(twins).map((n) => n.uid), [0, 1, 2]);
});

test('encodeTree refuses trees restic would reject', () => {
  const dir: TreeNode = { name: u8('d'), type: 'dir', mtime: T, atime: T, ctime: T, uid: 0, gid: 0, content: null };
  const cases: [string, TreeNode[]][] = [
    ['unsorted', [fileNode(u8('b')), fileNode(u8('a'))]],
    ['duplicate', [fileNode(u8('a')), fileNode(u8('a'))]],
    ['empty name', [fileNode(Buffer.alloc(0))]],
    ['file content null', [fileNode(u8('f'), { content: null })]],
    ['dir without subtree', [dir]],
    ['bad content id', [fileNode(u8('f'), { content: ['abc'] })]],
    ['bad subtree id', [{ ...dir, subtree: 'ABC' }]],
    ['negative uid', [fileNode(u8('f'), { uid: -1 })]],
    ['uid too big', [fileNode(u8('f'), { gid: 2 ** 32 })]],
  ];
  for (const [what, nodes] of cases) assert.throws(() => encodeTree(nodes), invalid, what);
});

test('decodeTree keeps 64-bit integers exact and ignores unknown fields', () => {
  const json = `{"nodes":[{"name":"f","type":"file","mtime":"2022-08-01T12:00:00+02:00","uid":4294967295,"gid":0,`
    + `"inode":18446744073709551615,"device_id":9007199254740993,"size":9007199254740993,"device":12345678901234567890,`
    + `"generic_attributes":{"x":[1,2.5e3,{"y":null}]},"new_field":true,"content":[]}],"extra":1}`;
  const [node] = decodeTree(u8(json));
  assert.ok(node);
  assert.equal(node.inode, 18446744073709551615n);
  assert.equal(node.deviceId, 9007199254740993n);
  assert.equal(node.size, 9007199254740993n);
  assert.equal(node.device, 12345678901234567890n);
  assert.equal(node.uid, 4294967295);
  assert.equal(node.mtime, parseGoTime('2022-08-01T10:00:00Z'));
  assert.equal(node.atime, GO_ZERO_TIME_NS);
  assert.deepEqual(node.content, []);
  assert.equal(node.mode, undefined);
});

test('decodeTree: pretty JSON, \\u escapes, null fields and linktarget_raw', () => {
  const json = `{ "nodes" : [ { "name" : "\\u0061\\u00e9\\\\xff" , "type":"symlink", "mode": null, "uid":0, "gid":0,\n`
    + `  "linktarget": "ignored", "linktarget_raw": "/w==", "user": null, "content": null } ] }\n`;
  const [node] = decodeTree(u8(json));
  assert.ok(node);
  assert.deepEqual(node.name, Buffer.from([0x61, 0xc3, 0xa9, 0xff]));
  assert.deepEqual(node.linktarget, Buffer.from([0xff]));
  assert.equal(node.user, undefined);
  assert.equal(node.content, null);
});

test('decodeTree rejects malformed trees with INVALID_DATA', () => {
  const good = '"name":"f","type":"file","uid":0,"gid":0,"content":[]';
  const bad = [
    '', '{', '[]', '{"nodes":{}}', '{"nodes":[1]}', '{"nodes":[]} x', `{"nodes":[{${good}}]`, '{"nodes":[],}',
    `{"nodes":[{${good},"uid":-1}]}`, `{"nodes":[{${good},"uid":4294967296}]}`, `{"nodes":[{${good},"size":1.5}]}`,
    `{"nodes":[{${good},"size":1e3}]}`, `{"nodes":[{${good},"inode":18446744073709551616}]}`, `{"nodes":[{${good},"size":"1"}]}`,
    `{"nodes":[{${good},"type":"weird"}]}`, `{"nodes":[{${good},"mtime":"yesterday"}]}`, `{"nodes":[{${good},"content":["abc"]}]}`,
    `{"nodes":[{${good},"subtree":"xyz"}]}`, `{"nodes":[{${good},"name":"bad\\\\q"}]}`, `{"nodes":[{${good},"user":7}]}`,
    `{"nodes":[{${good},"linktarget_raw":"!!"}]}`, '{"nodes":[{"name":"a\tb"}]}', '{"nodes":[{"name":"\\x41"}]}',
    '{"nodes":[01]}', '{"nodes":[tru]}', '{"nodes":["\\ud8"]}',
  ];
  for (const json of bad) assert.throws(() => decodeTree(u8(json)), invalid, json);
});
