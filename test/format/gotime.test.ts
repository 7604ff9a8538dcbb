/** Go time.Time JSON form: formatting and parsing nanosecond bigints. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHoldfastError } from '../../src/common/errors.js';
import { formatGoTime, GO_ZERO_TIME_NS, parseGoTime } from '../../src/format/gotime.js';

const ms = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n;

test('formatGoTime: table of RFC3339Nano strings', () => {
  const cases: [bigint, string][] = [
    [0n, '1970-01-01T00:00:00Z'],
    [1n, '1970-01-01T00:00:00.000000001Z'],
    [-1n, '1969-12-31T23:59:59.999999999Z'],
    [-1_000_000_000n, '1969-12-31T23:59:59Z'],
    [GO_ZERO_TIME_NS, '0001-01-01T00:00:00Z'],
    [ms('2026-11-22T04:23:50Z') + 327_800_147n, '2026-11-22T04:23:50.327800147Z'],
    [ms('2026-11-22T04:23:53Z') + 58_968_500n, '2026-11-22T04:23:53.0589685Z'],
    [ms('2026-11-22T04:23:53Z') + 100_000_000n, '2026-11-22T04:23:53.1Z'],
    [ms('2000-02-29T23:59:59Z'), '2000-02-29T23:59:59Z'],
    [ms('9999-12-31T23:59:59Z') + 999_999_999n, '9999-12-31T23:59:59.999999999Z'],
    [ms('1900-03-01T00:00:00Z') - 1n, '1900-02-28T23:59:59.999999999Z'],
  ];
  for (const [ns, text] of cases) {
    assert.equal(formatGoTime(ns), text, `format ${ns}`);
    assert.equal(parseGoTime(text), ns, `parse ${text}`);
  }
});

test('GO_ZERO_TIME_NS is 0001-01-01T00:00:00Z', () => {
  assert.equal(GO_ZERO_TIME_NS, -62_135_596_800_000_000_000n);
  assert.equal(parseGoTime('0001-01-01T00:00:00Z'), GO_ZERO_TIME_NS);
});

test('formatGoTime agrees with Date.toISOString over a spread of instants', () => {
  let seed = 12345;
  for (let i = 0; i < 2000; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const millis = Math.floor((seed / 2 ** 31 - 0.6) * 2 * 8.64e15 * 0.5); // roughly years -? .. 5000
    const iso = new Date(millis).toISOString();
    if (!/^\d{4}-/.test(iso)) continue; // Date writes years outside 0..9999 as ±YYYYYY
    const goText = iso.replace(/\.000Z$/, 'Z').replace(/(\.\d*?)0+Z$/, '$1Z');
    assert.equal(formatGoTime(BigInt(millis) * 1_000_000n), goText);
    assert.equal(parseGoTime(goText), BigInt(millis) * 1_000_000n);
  }
});

test('parseGoTime: offsets, commas and long fractions as Go reads them', () => {
  const cases: [string, string][] = [
    ['2022-08-01T12:00:00+02:00', '2022-08-01T10:00:00Z'],
    ['2022-08-01T12:00:00-05:30', '2022-08-01T17:30:00Z'],
    ['2022-01-01T00:30:00+01:00', '2021-12-31T23:30:00Z'],
    ['2026-11-22T05:23:53.0589685+01:00', '2026-11-22T04:23:53.0589685Z'],
    ['2022-08-01T12:00:00,5Z', '2022-08-01T12:00:00.5Z'],
    ['2022-08-01T12:00:00.1234567891Z', '2022-08-01T12:00:00.123456789Z'],
    ['2022-08-01T12:00:00.000Z', '2022-08-01T12:00:00Z'],
  ];
  for (const [input, utc] of cases) assert.equal(formatGoTime(parseGoTime(input)), utc, input);
});

test('parseGoTime rejects what Go rejects, with INVALID_DATA', () => {
  const bad = [
    '', '2024-01-01', '2024-01-01T00:00:00', '2024-01-01 00:00:00Z', '2024-01-01t00:00:00Z',
    '2024-01-01T00:00:00z', '2024-01-01T00:00:00.Z', '24-01-01T00:00:00Z', '2024-1-01T00:00:00Z',
    '2024-00-10T00:00:00Z', '2024-13-01T00:00:00Z', '2023-02-29T00:00:00Z', '2024-04-31T00:00:00Z',
    '2024-01-00T00:00:00Z', '2024-01-01T24:00:00Z', '2024-01-01T00:60:00Z', '2024-01-01T00:00:60Z',
    '2024-01-01T00:00:00+24:00', '2024-01-01T00:00:00+01:60', '2024-01-01T00:00:00+0100',
    ' 2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z ', '"2024-01-01T00:00:00Z"',
  ];
  for (const s of bad) assert.throws(() => parseGoTime(s), (e) => isHoldfastError(e, 'INVALID_DATA'), s);
});

test('parseGoTime accepts leap days only in leap years', () => {
  assert.equal(formatGoTime(parseGoTime('2000-02-29T00:00:00Z')), '2000-02-29T00:00:00Z');
  assert.equal(formatGoTime(parseGoTime('2024-02-29T00:00:00Z')), '2024-02-29T00:00:00Z');
  assert.throws(() => parseGoTime('1900-02-29T00:00:00Z'), (e) => isHoldfastError(e, 'INVALID_DATA'));
});

test('formatGoTime refuses years Go cannot marshal', () => {
  assert.equal(formatGoTime(ms('0000-01-01T00:00:00Z')), '0000-01-01T00:00:00Z');
  assert.throws(() => formatGoTime(ms('0000-01-01T00:00:00Z') - 1n), (e) => isHoldfastError(e, 'INVALID_DATA'));
  assert.throws(() => formatGoTime(ms('9999-12-31T23:59:59Z') + 1_000_000_000n), (e) => isHoldfastError(e, 'INVALID_DATA'));
});
