/** Tests for GF(2) polynomials: Ben-Or against brute force, restic's test polynomial, derivation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Random } from '../../src/common/clock.js';
import { isHoldfastError } from '../../src/common/errors.js';
import { sha256 } from '../../src/common/ids.js';
import {
  derivePolynomial, formatPolynomial, isIrreducible, parsePolynomial, polynomialDegree,
} from '../../src/format/polynomial.js';

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

function clmul(a: bigint, b: bigint): bigint {
  let r = 0n;
  for (let i = 0n; b >> i > 0n; i++) if ((b >> i) & 1n) r ^= a << i;
  return r;
}

function hasFactorUpTo(p: bigint, maxDegree: number): boolean {
  for (let d = 2n; polynomialDegree(d) <= maxDegree; d++) {
    let x = p;
    while (polynomialDegree(x) >= polynomialDegree(d)) x ^= d << BigInt(polynomialDegree(x) - polynomialDegree(d));
    if (x === 0n) return true;
  }
  return false;
}

const RESTIC_TEST_POL = 0x3da3358b4dc173n;

test('restic test polynomial is irreducible and has degree 53', () => {
  assert.equal(isIrreducible(RESTIC_TEST_POL), true);
  assert.equal(polynomialDegree(RESTIC_TEST_POL), 53);
});

test('Ben-Or agrees with trial division for every polynomial up to degree 11', () => {
  let irreducibles = 0;
  for (let p = 4n; p < 1n << 12n; p++) {
    const expected = !hasFactorUpTo(p, Math.floor(polynomialDegree(p) / 2));
    assert.equal(isIrreducible(p), expected, `0x${p.toString(16)}`);
    if (expected) irreducibles++;
  }
  // Known counts of irreducible binary polynomials of degree 2..11.
  assert.equal(irreducibles, 1 + 2 + 3 + 6 + 9 + 18 + 30 + 56 + 99 + 186);
});

test('products and other reducible polynomials are rejected', () => {
  assert.equal(isIrreducible(clmul(RESTIC_TEST_POL, 0x7n)), false);
  assert.equal(isIrreducible(clmul(0x11bn, 0x1000000000000000000000000000001bn)), false);
  assert.equal(isIrreducible((1n << 53n) | 1n), false); // x^53 + 1 = (x + 1)(…)
  assert.equal(isIrreducible(clmul(0x3n, 1n << 52n | 0x3n)), false);
  assert.equal(isIrreducible(0x11bn), true); // AES's x^8+x^4+x^3+x+1
});

test('like chunker, degrees below 2 count as irreducible', () => {
  for (const p of [0n, 1n, 2n, 3n]) assert.equal(isIrreducible(p), true);
  assert.equal(polynomialDegree(0n), -1);
  assert.equal(polynomialDegree(1n), 0);
});

test('derivePolynomial yields a degree-53 irreducible polynomial, deterministically', () => {
  const a = derivePolynomial(seededRandom('pol'));
  assert.equal(polynomialDegree(a), 53);
  assert.equal(a & 1n, 1n);
  assert.equal(isIrreducible(a), true);
  assert.equal(derivePolynomial(seededRandom('pol')), a);
  assert.notEqual(derivePolynomial(seededRandom('pol2')), a);
});

test('derivePolynomial masks the random bits like chunker and retries reducible draws', () => {
  const target = derivePolynomial(seededRandom('mask'));
  // Garbage above bit 53 and bits 53 and 0 cleared: masking must restore target.
  const raw = (target | (0x3ffn << 54n)) & ~((1n << 53n) | 1n);
  const draws = [Buffer.alloc(8, 0xff), Buffer.alloc(8)]; // x^53+...+1 and x^53+1: both divisible by x+1
  draws.push(Buffer.alloc(8));
  draws[2]!.writeBigUInt64LE(raw);
  const random: Random = { bytes: () => draws.shift() ?? Buffer.alloc(8) };
  assert.equal(derivePolynomial(random), target);
  assert.equal(draws.length, 0);
});

test('format and parse are Go strconv compatible', () => {
  assert.equal(formatPolynomial(RESTIC_TEST_POL), '3da3358b4dc173');
  assert.equal(parsePolynomial('3da3358b4dc173'), RESTIC_TEST_POL);
  assert.equal(parsePolynomial('3DA3358B4DC173'), RESTIC_TEST_POL);
  assert.equal(parsePolynomial('ffffffffffffffff'), (1n << 64n) - 1n);
  for (const bad of ['', '0x3da3', '-1', ' 3da3', 'xyz', '10000000000000000']) {
    assert.throws(() => parsePolynomial(bad), (e: unknown) => isHoldfastError(e, 'INVALID_DATA'), bad);
  }
  assert.throws(() => formatPolynomial(-1n), (e: unknown) => isHoldfastError(e, 'INTERNAL'));
});
