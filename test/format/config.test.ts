/** Tests for the repository config: byte-exact encoding, validation, generation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Random } from '../../src/common/clock.js';
import { isHoldfastError, type ErrorCode } from '../../src/common/errors.js';
import { sha256 } from '../../src/common/ids.js';
import { encodeConfig, newConfig, parseConfig } from '../../src/format/config.js';
import { isIrreducible, polynomialDegree } from '../../src/format/polynomial.js';

function seededRandom(seed: string): Random {
  let counter = 0;
  return {
    bytes(n: number): Buffer {
      const parts: Buffer[] = [];
      for (let have = 0; have < n; have += 32) parts.push(sha256(Buffer.from(`${seed}:${counter++}`)));
      return Buffer.concat(parts).subarray(0, n);
    },
  };
}

const ID = 'a2d2d1ec6e84fc9b6ba3d4c2e1ad3b5cd7e2b1c5f3a4b6c8d9e0f1a2b3c4d5e6';
const code = (c: ErrorCode) => (e: unknown): boolean => isHoldfastError(e, c);

test('encodes exactly as restic writes it', () => {
  const bytes = encodeConfig({ version: 2, id: ID, chunkerPolynomial: 0x3da3358b4dc173n });
  assert.equal(bytes.toString(), `{"version":2,"id":"${ID}","chunker_polynomial":"3da3358b4dc173"}`);
  assert.deepEqual(parseConfig(bytes), { version: 2, id: ID, chunkerPolynomial: 0x3da3358b4dc173n });
});

test('parses version 1 configs and ignores unknown fields', () => {
  const c = parseConfig(Buffer.from(`{"version":1,"id":"${ID}","chunker_polynomial":"3DA3358B4DC173","x":1}`));
  assert.equal(c.version, 1);
  assert.equal(c.chunkerPolynomial, 0x3da3358b4dc173n);
});

test('other versions are unsupported', () => {
  for (const v of ['3', '0', '"2"', 'null']) {
    const json = `{"version":${v},"id":"${ID}","chunker_polynomial":"3da3358b4dc173"}`;
    assert.throws(() => parseConfig(Buffer.from(json)), code('UNSUPPORTED_REPOSITORY'), v);
  }
  assert.throws(() => parseConfig(Buffer.from(`{"id":"${ID}"}`)), code('UNSUPPORTED_REPOSITORY'));
});

test('reducible, tiny, missing or malformed polynomials are invalid data', () => {
  // 0x3da3358b4dc172 is even, so divisible by x; "1" passes chunker's test but cannot drive a chunker.
  for (const pol of ['3da3358b4dc172', '20000000000001', '1', '0', 'zz', '']) {
    const json = `{"version":2,"id":"${ID}","chunker_polynomial":"${pol}"}`;
    assert.throws(() => parseConfig(Buffer.from(json)), code('INVALID_DATA'), pol);
  }
  assert.throws(() => parseConfig(Buffer.from(`{"version":2,"id":"${ID}"}`)), code('INVALID_DATA'));
  assert.throws(() => parseConfig(Buffer.from(`{"version":2,"id":"${ID}","chunker_polynomial":1}`)), code('INVALID_DATA'));
});

test('bad ids and non-JSON are invalid data', () => {
  for (const id of ['abc', ID.toUpperCase(), `${ID}0`]) {
    const json = `{"version":2,"id":"${id}","chunker_polynomial":"3da3358b4dc173"}`;
    assert.throws(() => parseConfig(Buffer.from(json)), code('INVALID_DATA'), id);
  }
  for (const junk of ['', 'nope', '[]', 'null', '{"version":2']) {
    assert.throws(() => parseConfig(Buffer.from(junk)), code('INVALID_DATA'), junk);
  }
});

test('newConfig draws a fresh id and an irreducible degree-53 polynomial', () => {
  const a = newConfig(seededRandom('cfg-a'));
  const b = newConfig(seededRandom('cfg-b'), 1);
  assert.equal(a.version, 2);
  assert.equal(b.version, 1);
  assert.match(a.id, /^[0-9a-f]{64}$/);
  assert.notEqual(a.id, b.id);
  assert.equal(polynomialDegree(a.chunkerPolynomial), 53);
  assert.equal(isIrreducible(a.chunkerPolynomial), true);
  assert.deepEqual(parseConfig(encodeConfig(a)), a);
  assert.deepEqual(newConfig(seededRandom('cfg-a')), a);
});
