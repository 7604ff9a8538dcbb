/**
 * The repository config (spec §3, restic internal/restic/config.go): the
 * plaintext of `<repo>/config`, which is sealed with the master key and never
 * compressed. It fixes the format version, the repository id (the name of
 * restic's cache directory) and the chunker polynomial.
 */
import type { Random } from '../common/clock.js';
import { fail } from '../common/errors.js';
import { isId, type Id } from '../common/ids.js';
import { derivePolynomial, formatPolynomial, isIrreducible, parsePolynomial, polynomialDegree } from './polynomial.js';

export interface RepoConfig {
  readonly version: 1 | 2;
  readonly id: Id;
  readonly chunkerPolynomial: bigint;
}

/**
 * restic only checks irreducibility, which chunker also grants to degrees 0
 * and 1; the chunker's `digest >> (deg - 8)` and its 64-bit state need these bounds.
 */
const MIN_DEGREE = 8;
const MAX_DEGREE = 53;

export function encodeConfig(c: RepoConfig): Buffer {
  const json = { version: c.version, id: c.id, chunker_polynomial: formatPolynomial(c.chunkerPolynomial) };
  return Buffer.from(JSON.stringify(json), 'utf8');
}

function parseObject(plain: Uint8Array): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength).toString('utf8'));
  } catch (err) {
    throw fail('INVALID_DATA', 'config is not valid JSON', { cause: err });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw fail('INVALID_DATA', 'config is not a JSON object');
  return json as Record<string, unknown>;
}

function checkPolynomial(value: unknown): bigint {
  if (typeof value !== 'string') throw fail('INVALID_DATA', 'config lacks chunker_polynomial');
  const p = parsePolynomial(value);
  const degree = polynomialDegree(p);
  if (degree < MIN_DEGREE || degree > MAX_DEGREE || !isIrreducible(p)) {
    throw fail('INVALID_DATA', `config: chunker polynomial ${value} is invalid`);
  }
  return p;
}

export function parseConfig(plain: Uint8Array): RepoConfig {
  const json = parseObject(plain);
  const version = json['version'];
  if (version !== 1 && version !== 2) {
    throw fail('UNSUPPORTED_REPOSITORY', `unsupported repository version ${JSON.stringify(version ?? null)}`);
  }
  const id = json['id'];
  if (typeof id !== 'string' || !isId(id)) throw fail('INVALID_DATA', 'config: id is not 64 hex characters');
  return Object.freeze({ version, id, chunkerPolynomial: checkPolynomial(json['chunker_polynomial']) });
}

export function newConfig(random: Random, version: 1 | 2 = 2): RepoConfig {
  const id = random.bytes(32).toString('hex');
  return Object.freeze({ version, id, chunkerPolynomial: derivePolynomial(random) });
}
