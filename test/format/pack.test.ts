/** Pack header entries (37 or 41 bytes) and their implicit offsets. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHoldfastError } from '../../src/common/errors.js';
import { hashId } from '../../src/common/ids.js';
import {
  decodePackHeader, encodePackHeader, MAX_HEADER_SIZE, PACK_TAIL_READ, packHeaderEntrySize, type PackedBlob,
} from '../../src/format/pack.js';

const id = (s: string): string => hashId(Buffer.from(s));
const invalid = (e: unknown): boolean => isHoldfastError(e, 'INVALID_DATA');

test('constants', () => {
  assert.equal(MAX_HEADER_SIZE, 16 * 1024 * 1024);
  assert.equal(PACK_TAIL_READ, 651);
  assert.equal(packHeaderEntrySize({}), 37);
  assert.equal(packHeaderEntrySize({ uncompressedLength: 0 }), 37);
  assert.equal(packHeaderEntrySize({ uncompressedLength: 5 }), 41);
});

test('encodes each entry type byte for byte', () => {
  const blobs: PackedBlob[] = [
    { type: 'data', id: id('a'), offset: 0, length: 54 },
    { type: 'tree', id: id('b'), offset: 54, length: 0x01020304 },
    { type: 'data', id: id('c'), offset: 54 + 0x01020304, length: 60, uncompressedLength: 13 },
    { type: 'tree', id: id('d'), offset: 54 + 0x01020304 + 60, length: 33, uncompressedLength: 0xfffffffe },
  ];
  const expected = Buffer.concat([
    Buffer.from('0036000000', 'hex'), Buffer.from(id('a'), 'hex'),
    Buffer.from('0104030201', 'hex'), Buffer.from(id('b'), 'hex'),
    Buffer.from('023c0000000d000000', 'hex'), Buffer.from(id('c'), 'hex'),
    Buffer.from('0321000000feffffff', 'hex'), Buffer.from(id('d'), 'hex'),
  ]);
  const header = encodePackHeader(blobs);
  assert.equal(header.length, 37 + 37 + 41 + 41);
  assert.deepEqual(header, expected);
  assert.deepEqual(decodePackHeader(header), blobs);
});

test('decodes offsets as running sums from 0', () => {
  const header = encodePackHeader([
    { type: 'data', id: id('1'), offset: 0, length: 100 },
    { type: 'data', id: id('2'), offset: 100, length: 50, uncompressedLength: 10 },
    { type: 'data', id: id('3'), offset: 150, length: 32 },
  ]);
  assert.deepEqual(decodePackHeader(header).map((b) => b.offset), [0, 100, 150]);
  assert.deepEqual(decodePackHeader(new Uint8Array(0)), []);
});

test('rejects malformed headers with INVALID_DATA', () => {
  const good = encodePackHeader([{ type: 'data', id: id('x'), offset: 0, length: 40 }]);
  const badType = Buffer.from(good);
  badType[0] = 4;
  const zeroUncompressed = Buffer.concat([Buffer.from('022800000000000000', 'hex'), Buffer.from(id('x'), 'hex')]);
  const cases: [string, Buffer][] = [
    ['type 4', badType],
    ['type 0xff', Buffer.concat([Buffer.from([0xff]), good.subarray(1)])],
    ['truncated', good.subarray(0, 36)],
    ['trailing byte', Buffer.concat([good, Buffer.from([0])])],
    ['truncated compressed', Buffer.concat([Buffer.from('022800000005000000', 'hex'), Buffer.alloc(31)])],
    ['compressed with length 0', zeroUncompressed],
  ];
  for (const [what, bytes] of cases) assert.throws(() => decodePackHeader(bytes), invalid, what);
});

test('encodePackHeader refuses entries that could not be read back', () => {
  const cases: [string, PackedBlob[]][] = [
    ['gap', [{ type: 'data', id: id('a'), offset: 0, length: 40 }, { type: 'data', id: id('b'), offset: 41, length: 40 }]],
    ['not from 0', [{ type: 'data', id: id('a'), offset: 8, length: 40 }]],
    ['bad id', [{ type: 'data', id: 'abc', offset: 0, length: 40 }]],
    ['bad type', [{ type: 'blob' as 'data', id: id('a'), offset: 0, length: 40 }]],
    ['length over uint32', [{ type: 'data', id: id('a'), offset: 0, length: 2 ** 32 }]],
    ['uncompressed over uint32', [{ type: 'data', id: id('a'), offset: 0, length: 40, uncompressedLength: 2 ** 32 }]],
  ];
  for (const [what, blobs] of cases) assert.throws(() => encodePackHeader(blobs), invalid, what);
});

test('a header over the size limit is refused', () => {
  const n = Math.floor(MAX_HEADER_SIZE / 37);
  const blobs: PackedBlob[] = Array.from({ length: n }, (_, i) => ({ type: 'data', id: id('z'), offset: i, length: 1 }));
  assert.throws(() => encodePackHeader(blobs), invalid);
});
