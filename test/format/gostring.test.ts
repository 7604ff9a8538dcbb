/**
 * strconv.Quote/Unquote and encoding/json strings as go1.19 produces them.
 * Expected outputs are Go's; the awkward-name ones were confirmed against
 * trees restic 0.14.0 wrote (see tree-restic.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHoldfastError } from '../../src/common/errors.js';
import { goJsonString, goJsonStringFromBytes, goQuoteBytes, goUnquoteBytes } from '../../src/format/gostring.js';

const u8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const hex = (h: string): Buffer => Buffer.from(h.replace(/\s/g, ''), 'hex');

// [name bytes, strconv.Quote without the quotes]
const QUOTE_CASES: [Buffer, string][] = [
  [u8('hard.txt'), 'hard.txt'],
  [u8('we"ird\\name é'), 'we\\"ird\\\\name é'],
  [u8('new\nline'), 'new\\nline'],
  [u8('tab\tname'), 'tab\\tname'],
  [u8('\x07\x08\x0c\x0b\r'), '\\a\\b\\f\\v\\r'],
  [u8('\x00\x01\x1b\x1f'), '\\x00\\x01\\x1b\\x1f'],
  [u8('del\x7f'), 'del\\x7f'],
  [hex('626164ff62797465'), 'bad\\xffbyte'],
  [u8('nbsp\u00a0x'), 'nbsp\\u00a0x'],
  [u8('c1\u0085'), 'c1\\u0085'],
  [u8('ls\u2028ps\u2029'), 'ls\\u2028ps\\u2029'],
  [u8('bom\ufeff'), 'bom\\ufeff'],
  [u8('ideo\u3000space'), 'ideo\\u3000space'],
  [u8('private\ue000'), 'private\\ue000'],
  [u8('unassigned\u0378'), 'unassigned\\u0378'],
  [u8('\u{10ffff}'), '\\U0010ffff'],
  [u8('emoji😀'), 'emoji😀'],
  [u8('e\u0301'), 'e\u0301'],
  [u8('\u{20000}'), '\u{20000}'],
  [u8('replacement\ufffd'), 'replacement\ufffd'],
  [u8('<&>'), '<&>'],
  // Unicode 14 and 15 additions: printable for Node, not for go1.19 (Unicode 13), so Go escapes them.
  [u8('melt\u{1fae0}'), 'melt\\U0001fae0'],
  [u8('\u{1f6dc}'), '\\U0001f6dc'],
  [u8('\u0870'), '\\u0870'],
  // Invalid UTF-8 goes byte by byte, as utf8.DecodeRune reads it.
  [hex('eda080'), '\\xed\\xa0\\x80'],
  [hex('c080'), '\\xc0\\x80'],
  [hex('e282'), '\\xe2\\x82'],
  [hex('e28241'), '\\xe2\\x82A'],
  [hex('f4908080'), '\\xf4\\x90\\x80\\x80'],
  [hex('f09f98'), '\\xf0\\x9f\\x98'],
  [hex('80'), '\\x80'],
  [hex('c3'), '\\xc3'],
];

test('goQuoteBytes matches strconv.Quote', () => {
  for (const [bytes, quoted] of QUOTE_CASES) assert.equal(goQuoteBytes(bytes), quoted, bytes.toString('hex'));
});

test('goUnquoteBytes inverts goQuoteBytes on the table', () => {
  for (const [bytes, quoted] of QUOTE_CASES) assert.deepEqual(goUnquoteBytes(quoted), bytes, quoted);
});

test('goUnquoteBytes round-trips arbitrary bytes', () => {
  let seed = 7;
  for (let i = 0; i < 3000; i++) {
    const len = i % 24;
    const bytes = Buffer.alloc(len);
    for (let j = 0; j < len; j++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      bytes[j] = seed % 5 === 0 ? 0x80 + (seed % 0x80) : seed % 256;
    }
    assert.deepEqual(goUnquoteBytes(goQuoteBytes(bytes)), bytes, bytes.toString('hex'));
  }
});

test('goUnquoteBytes takes every escape strconv.Unquote takes', () => {
  const cases: [string, Buffer][] = [
    ['\\101\\060\\377', hex('4130ff')],
    ['\\x41\\xFF\\xfe', hex('41fffe')],
    ['\\u00e9\\u00E9', u8('éé')],
    ['\\U0001F600', u8('😀')],
    ['\\"\\\\', u8('"\\')],
    ['plain é', u8('plain é')],
    ['', Buffer.alloc(0)],
  ];
  for (const [input, bytes] of cases) assert.deepEqual(goUnquoteBytes(input), bytes, input);
});

test('goUnquoteBytes rejects what strconv.Unquote rejects', () => {
  const bad = ['\\', 'a\\', '\\q', "\\'", '\\x4', '\\xg0', '\\u12', '\\ud800', '\\U00110000', '\\400', '\\18', '\\7', 'a"b', 'a\nb', '\\u+123'];
  for (const s of bad) assert.throws(() => goUnquoteBytes(s), (e) => isHoldfastError(e, 'INVALID_DATA'), JSON.stringify(s));
});

// [JS string, Go encoding/json output]
const JSON_CASES: [string, string][] = [
  ['plain', '"plain"'],
  ['a"b\\c', '"a\\"b\\\\c"'],
  ['\n\r\t', '"\\n\\r\\t"'],
  ['\b\f\v', '"\\u0008\\u000c\\u000b"'],
  ['\x00\x1f', '"\\u0000\\u001f"'],
  ['<a&b>', '"\\u003ca\\u0026b\\u003e"'],
  ['\u2028\u2029', '"\\u2028\\u2029"'],
  ['\x7f/é😀\ufffd\u00a0', '"\x7f/é😀\ufffd\u00a0"'],
  ['\ud800', '"\\ufffd"'],
  ['x\udc00y', '"x\\ufffdy"'],
  ['end\ud83d', '"end\\ufffd"'],
  ['\ud83d\ud83d\ude00', '"\\ufffd😀"'],
  ['we\\"ird\\\\name é', '"we\\\\\\"ird\\\\\\\\name é"'],
];

test('goJsonString matches Go encoding/json (go1.19, HTML-safe)', () => {
  for (const [s, json] of JSON_CASES) assert.equal(goJsonString(s), json, JSON.stringify(s));
});

test('goJsonString output is JSON that reads back to the (well-formed) input', () => {
  for (const [s, json] of JSON_CASES) {
    if (json.includes('\\ufffd')) continue; // a lone surrogate cannot come back
    assert.equal(JSON.parse(goJsonString(s)), s);
  }
});

test('the spec example name appears in JSON as "we\\\\\\"ird\\\\\\\\name é"', () => {
  assert.equal(goJsonString(goQuoteBytes(u8('we"ird\\name é'))), String.raw`"we\\\"ird\\\\name é"`);
});

test('goJsonStringFromBytes writes \\ufffd per invalid byte, as Go does', () => {
  const cases: [Buffer, string][] = [
    [u8('plain/target'), '"plain/target"'],
    [hex('74fe225c3c'), '"t\\ufffd\\"\\\\\\u003c"'],
    [hex('eda080'), '"\\ufffd\\ufffd\\ufffd"'],
    [hex('e28241'), '"\\ufffd\\ufffdA"'],
    [hex('f09f98'), '"\\ufffd\\ufffd\\ufffd"'],
    [hex('f09f988041'), '"😀A"'],
    [hex('ff0a'), '"\\ufffd\\n"'],
    [u8('é\u2028'), '"é\\u2028"'],
  ];
  for (const [bytes, json] of cases) assert.equal(goJsonStringFromBytes(bytes), json, bytes.toString('hex'));
});
