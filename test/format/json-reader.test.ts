/** The Go-like JSON reader behind decodeTree, parseSnapshot and parseLock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHoldfastError } from '../../src/common/errors.js';
import { expectObject, optInt, optString, optUint, parseJson, type JsonValue } from '../../src/format/json-reader.js';

const u8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const invalid = (e: unknown): boolean => isHoldfastError(e, 'INVALID_DATA');

test('numbers keep their exact digits', () => {
  const obj = expectObject(parseJson(u8('{"a":18446744073709551615,"b":-9223372036854775808,"c":0,"d":1.5e-3}')), 't');
  assert.equal(optUint(obj, 'a', 't', 64), 18446744073709551615n);
  assert.equal(optInt(obj, 'b', 't', 64), -9223372036854775808n);
  assert.equal(optUint(obj, 'c', 't', 32), 0n);
  assert.deepEqual(obj.get('d'), { kind: 'number', raw: '1.5e-3' });
  assert.throws(() => optUint(obj, 'b', 't', 64), invalid);
  assert.throws(() => optInt(obj, 'a', 't', 64), invalid);
  assert.throws(() => optUint(obj, 'd', 't', 64), invalid);
});

test('strings decode like Go: U+FFFD per invalid byte and per lone surrogate escape', () => {
  const cases: [Buffer, string][] = [
    [u8('"plain é😀"'), 'plain é😀'],
    [u8('"\\u00e9\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\\"\\\\"'), 'é😀/\b\f\n\r\t"\\'],
    [u8('"\\ud800x"'), '\ufffdx'],
    [u8('"\\ud800\\u0041"'), '\ufffdA'],
    [u8('"\\udc00"'), '\ufffd'],
    [Buffer.concat([u8('"a'), Buffer.from([0xe2, 0x82]), u8('b"')]), 'a\ufffd\ufffdb'],
    [Buffer.concat([u8('"'), Buffer.from([0xed, 0xa0, 0x80]), u8('\\n"')]), '\ufffd\ufffd\ufffd\n'],
  ];
  for (const [json, s] of cases) assert.equal(parseJson(json), s, json.toString('hex'));
});

test('objects are Maps, so "__proto__" is just a key; the last duplicate wins as in Go', () => {
  const obj = expectObject(parseJson(u8('{"__proto__":{"x":1},"k":"a","k":"b"}')), 't');
  assert.ok(obj.get('__proto__') instanceof Map);
  assert.equal(optString(obj, 'k', 't'), 'b');
  assert.equal(({} as Record<string, unknown>).x, undefined);
});

test('whitespace, nesting and literals', () => {
  const v = parseJson(u8(' \t\r\n[ true , false , null , [ ] , { } , "" ] \n'));
  assert.deepEqual(v, [true, false, null, [], new Map(), ''] satisfies JsonValue[]);
});

test('malformed JSON is INVALID_DATA', () => {
  const bad = ['', ' ', '{', '}', '[1,]', '{"a":1,}', '{"a" 1}', '{a:1}', "'x'", '"\t"', '"\\x41"', '"\\u12"', '01', '-', '1.', '.5', '+1',
    'nul', 'True', '[1] 2', '"abc', '{"a":1}}', '[' .repeat(600) + ']'.repeat(600)];
  for (const json of bad) assert.throws(() => parseJson(u8(json)), invalid, json.slice(0, 20));
});
