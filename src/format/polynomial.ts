/**
 * Polynomials over GF(2) (spec §3, restic/chunker polynomials.go): the
 * chunker's Rabin fingerprint modulus. A polynomial is a bigint whose bit i is
 * the coefficient of x^i; addition is XOR and products are carry-less.
 */
import type { Random } from '../common/clock.js';
import { fail } from '../common/errors.js';

/** chunker's randPolMaxTries: a bound so that a broken Random cannot loop forever. */
const MAX_TRIES = 1_000_000;
const UINT64_LIMIT = 1n << 64n;

/** The degree of p, or -1 for the zero polynomial (as chunker's Pol.Deg). */
export function polynomialDegree(p: bigint): number {
  return p <= 0n ? -1 : p.toString(2).length - 1;
}

/** x mod g, by cancelling the leading term until the degree drops below g's. */
function polyMod(x: bigint, g: bigint): bigint {
  const dg = polynomialDegree(g);
  let dx = polynomialDegree(x);
  while (dx >= dg) {
    x ^= g << BigInt(dx - dg);
    dx = polynomialDegree(x);
  }
  return x;
}

/** a*b mod g for a already reduced mod g: shift-and-add, reducing after every shift. */
function mulMod(a: bigint, b: bigint, g: bigint): bigint {
  const top = 1n << BigInt(polynomialDegree(g));
  let result = 0n;
  for (let rest = b; rest > 0n; rest >>= 1n) {
    if (rest & 1n) result ^= a;
    a <<= 1n;
    if (a & top) a ^= g;
  }
  return result;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, polyMod(a, b)];
  return a;
}

/**
 * Ben-Or's test, as chunker's Irreducible: for i = 1..deg/2,
 * gcd(f, x^(2^i) - x mod f) must be 1. chunker recomputes x^(2^i) from x for
 * every i; carrying the square over from i-1 gives the same values faster.
 * Like chunker, polynomials of degree < 2 count as irreducible.
 */
export function isIrreducible(p: bigint): boolean {
  const half = Math.trunc(polynomialDegree(p) / 2);
  let power = 2n; // x^(2^0), already reduced since deg(p) >= 2 whenever the loop runs
  for (let i = 1; i <= half; i++) {
    power = mulMod(power, power, p);
    // power has degree < deg(p) and so has x, so their sum is reduced too.
    if (gcd(p, power ^ 2n) !== 1n) return false;
  }
  return true;
}

/** chunker's DerivePolynomial: a random irreducible polynomial of degree 53. */
export function derivePolynomial(random: Random): bigint {
  for (let i = 0; i < MAX_TRIES; i++) {
    let f = random.bytes(8).readBigUInt64LE(0);
    f &= (1n << 54n) - 1n;
    // Degree exactly 53, and not divisible by x.
    f |= (1n << 53n) | 1n;
    if (isIrreducible(f)) return f;
  }
  throw fail('INTERNAL', 'unable to find a new random irreducible polynomial');
}

/** Bare lowercase hex, as Go's strconv.AppendUint(…, 16). */
export function formatPolynomial(p: bigint): string {
  if (p < 0n || p >= UINT64_LIMIT) throw fail('INTERNAL', 'polynomial does not fit in 64 bits');
  return p.toString(16);
}

/** Inverse of formatPolynomial, accepting what Go's strconv.ParseUint(s, 16, 64) accepts. */
export function parsePolynomial(s: string): bigint {
  if (!/^[0-9a-fA-F]+$/.test(s)) throw fail('INVALID_DATA', `invalid chunker polynomial ${JSON.stringify(s.slice(0, 40))}`);
  const p = BigInt(`0x${s}`);
  if (p >= UINT64_LIMIT) throw fail('INVALID_DATA', 'chunker polynomial does not fit in 64 bits');
  return p;
}
