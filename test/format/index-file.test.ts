/** Index JSON: restic's layout, the legacy array form and validation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHoldfastError } from '../../src/common/errors.js';
import { hashId } from '../../src/common/ids.js';
import { encodeIndex, parseIndex, type IndexFile } from '../../src/format/index-file.js';

const id = (s: string): string => hashId(Buffer.from(s));
const u8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const invalid = (e: unknown): boolean => isHoldfastError(e, 'INVALID_DATA');

const IDX: IndexFile = {
  supersedes: [id('old1'), id('old2')],
  packs: [
    { id: id('p1'), blobs: [
      { type: 'data', id: id('b1'), offset: 0, length: 54, uncompressedLength: 13 },
      { type: 'data', id: id('b2'), offset: 54, length: 40 },
    ] },
    { id: id('p2'), blobs: [{ type: 'tree', id: id('t1'), offset: 0, length: 300, uncompressedLength: 700 }] },
  ],
};

test('encodes restic field order, with the newline json.Encoder writes', () => {
  const expected = `{"supersedes":["${id('old1')}","${id('old2')}"],"packs":[`
    + `{"id":"${id('p1')}","blobs":[{"id":"${id('b1')}","type":"data","offset":0,"length":54,"uncompressed_length":13},`
    + `{"id":"${id('b2')}","type":"data","offset":54,"length":40}]},`
    + `{"id":"${id('p2')}","blobs":[{"id":"${id('t1')}","type":"tree","offset":0,"length":300,"uncompressed_length":700}]}]}\n`;
  assert.equal(encodeIndex(IDX).toString(), expected);
  assert.deepEqual(parseIndex(u8(expected)), IDX);
});

test('supersedes is omitted when empty and read as [] when missing or null', () => {
  const idx: IndexFile = { supersedes: [], packs: [] };
  assert.equal(encodeIndex(idx).toString(), '{"packs":[]}\n');
  assert.deepEqual(parseIndex(u8('{"packs":[]}')), idx);
  assert.deepEqual(parseIndex(u8('{"supersedes":null,"packs":null}')), idx);
});

test('reads the legacy top-level array form', () => {
  const legacy = `[{"id":"${id('p')}","blobs":[{"id":"${id('b')}","type":"tree","offset":0,"length":99}]}]`;
  assert.deepEqual(parseIndex(u8(legacy)), { supersedes: [], packs: [{ id: id('p'), blobs: [{ type: 'tree', id: id('b'), offset: 0, length: 99 }] }] });
});

test('uncompressed_length 0 means not compressed', () => {
  const json = `{"packs":[{"id":"${id('p')}","blobs":[{"id":"${id('b')}","type":"data","offset":0,"length":32,"uncompressed_length":0}]}]}`;
  assert.deepEqual(parseIndex(u8(json)).packs[0]?.blobs[0], { type: 'data', id: id('b'), offset: 0, length: 32 });
});

test('rejects malformed index files with INVALID_DATA', () => {
  const blob = (extra: string): string => `{"packs":[{"id":"${id('p')}","blobs":[{"id":"${id('b')}","type":"data","offset":0,"length":32${extra}}]}]}`;
  const bad = [
    '', '{', '"x"', '1', '{"packs":{}}', '{"packs":[1]}', `{"packs":[{"id":"zz","blobs":[]}]}`, '{"supersedes":["abc"],"packs":[]}',
    blob(',"type":"blob"'), blob(',"offset":-1'), blob(',"length":1.5'), blob(',"length":"32"'), blob(',"uncompressed_length":-3'),
    blob(',"id":"ABC"'), `{"packs":[{"id":"${id('p')}","blobs":[{"type":"data","offset":0,"length":1}]}]}`,
  ];
  for (const json of bad) assert.throws(() => parseIndex(u8(json)), invalid, json);
});

test('encodeIndex refuses entries that would make an unreadable index', () => {
  const withBlob = (b: object): IndexFile => ({ supersedes: [], packs: [{ id: id('p'), blobs: [{ type: 'data', id: id('b'), offset: 0, length: 1, ...b }] }] });
  assert.throws(() => encodeIndex(withBlob({ id: 'short' })), invalid);
  assert.throws(() => encodeIndex(withBlob({ type: 'nope' })), invalid);
  assert.throws(() => encodeIndex(withBlob({ offset: -1 })), invalid);
  assert.throws(() => encodeIndex({ supersedes: ['x'], packs: [] }), invalid);
});
