/**
 * Key files (spec §2b, restic internal/repository/key.go and
 * internal/crypto/kdf.go): plaintext JSON in `<repo>/keys/<id>` that wraps
 * the master key with a key derived from a password by scrypt.
 */
import { scrypt } from 'node:crypto';
import type { Random } from '../common/clock.js';
import { fail } from '../common/errors.js';
import { isAuthentic, masterKeyFromJson, masterKeyToJson, open, sealRandom, type MasterKey } from './crypto.js';

export interface KdfParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

export interface KeyFile {
  readonly created: string;
  readonly username?: string;
  readonly hostname?: string;
  readonly kdf: 'scrypt';
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly data: Buffer;
}

/**
 * restic calibrates scrypt to ~500 ms (observed N=32768 r=8 p=5). We keep its
 * memory hardness (32 MiB for N=2^15, r=8), which is what resists GPU/ASIC
 * guessing, but take p=1: a service unlocks keys often, and p only multiplies
 * CPU time, so this opens about five times faster.
 */
export const DEFAULT_KDF: KdfParams = Object.freeze({ N: 32768, r: 8, p: 1 });

const SALT_SIZE = 64;
const DERIVED_SIZE = 64;
const MIB = 1024 * 1024;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64Field(value: unknown, name: string): Buffer {
  if (typeof value !== 'string' || !BASE64.test(value)) throw fail('INVALID_DATA', `key file: ${name} is not base64`);
  return Buffer.from(value, 'base64');
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw fail('INVALID_DATA', `key file: ${name} is not a string`);
  return value;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
}

/** simple-scrypt's Check, with N required to be a power of two as scrypt itself needs. */
function checkParams(N: unknown, r: unknown, p: unknown): KdfParams {
  // BigInt: `&` on numbers would truncate N to 32 bits.
  const powerOfTwo = isCount(N) && N > 1 && (BigInt(N) & BigInt(N - 1)) === 0n;
  if (!powerOfTwo || !isCount(r) || !isCount(p) || r * p >= 2 ** 30) {
    throw fail('INVALID_DATA', `key file: invalid scrypt parameters N=${String(N)} r=${String(r)} p=${String(p)}`);
  }
  return { N, r, p };
}

function parseObject(bytes: Uint8Array): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    throw fail('INVALID_DATA', 'key file is not valid JSON', { cause: err });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw fail('INVALID_DATA', 'key file is not a JSON object');
  return json as Record<string, unknown>;
}

export function parseKeyFile(bytes: Uint8Array): KeyFile {
  const j = parseObject(bytes);
  if (j['kdf'] !== 'scrypt') throw fail('INVALID_DATA', `key file: unsupported kdf ${JSON.stringify(j['kdf'] ?? null)}`);
  const params = checkParams(j['N'], j['r'], j['p']);
  const salt = base64Field(j['salt'], 'salt');
  if (salt.length !== SALT_SIZE) throw fail('INVALID_DATA', `key file: salt must be ${SALT_SIZE} bytes, got ${salt.length}`);
  const username = optionalString(j['username'], 'username');
  const hostname = optionalString(j['hostname'], 'hostname');
  return Object.freeze({
    created: optionalString(j['created'], 'created') ?? '',
    ...(username === undefined ? {} : { username }),
    ...(hostname === undefined ? {} : { hostname }),
    kdf: 'scrypt' as const,
    ...params,
    salt,
    data: base64Field(j['data'], 'data'),
  });
}

/** restic 0.14's field order; username and hostname are omitempty there too. */
export function encodeKeyFile(k: KeyFile): Buffer {
  const json = {
    created: k.created,
    ...(k.username ? { username: k.username } : {}),
    ...(k.hostname ? { hostname: k.hostname } : {}),
    kdf: k.kdf,
    N: k.N,
    r: k.r,
    p: k.p,
    salt: k.salt.toString('base64'),
    data: k.data.toString('base64'),
  };
  return Buffer.from(JSON.stringify(json), 'utf8');
}

function scryptAsync(password: string, salt: Buffer, params: KdfParams): Promise<Buffer> {
  const { N, r, p } = params;
  // OpenSSL needs 128·r·(N+2) for V plus 128·r·p for B; the rest is headroom.
  const maxmem = 256 * N * r + 128 * r * p + MIB;
  return new Promise((resolve, reject) => {
    scrypt(Buffer.from(password, 'utf8'), salt, DERIVED_SIZE, { N, r, p, maxmem }, (err, key) => {
      if (err) reject(fail('INTERNAL', 'scrypt failed', { cause: err }));
      else resolve(key);
    });
  });
}

/** The key that seals a key file's `data`: scrypt output split as encrypt || k || r. */
export async function deriveKey(password: string, params: KdfParams & { salt: Buffer }): Promise<MasterKey> {
  if (params.salt.length !== SALT_SIZE) throw fail('INVALID_DATA', `key file: salt must be ${SALT_SIZE} bytes`);
  checkParams(params.N, params.r, params.p);
  const derived = await scryptAsync(password, params.salt, params);
  return Object.freeze({
    encrypt: derived.subarray(0, 32),
    macK: derived.subarray(32, 48),
    macR: derived.subarray(48, 64),
  });
}

/** The master key wrapped in k, or null when the password does not fit (restic then tries the next key). */
export async function unlockKeyFile(password: string, k: KeyFile): Promise<MasterKey | null> {
  const user = await deriveKey(password, k);
  if (!isAuthentic(user, k.data)) return null;
  return masterKeyFromJson(open(user, k.data));
}

export async function createKeyFile(o: {
  password: string;
  master: MasterKey;
  params: KdfParams;
  random: Random;
  created: string;
  username?: string;
  hostname?: string;
}): Promise<Buffer> {
  const salt = Buffer.from(o.random.bytes(SALT_SIZE));
  const user = await deriveKey(o.password, { ...o.params, salt });
  const data = sealRandom(user, masterKeyToJson(o.master), o.random);
  const { N, r, p } = o.params;
  return encodeKeyFile({
    created: o.created,
    ...(o.username ? { username: o.username } : {}),
    ...(o.hostname ? { hostname: o.hostname } : {}),
    kdf: 'scrypt',
    N,
    r,
    p,
    salt,
    data,
  });
}
