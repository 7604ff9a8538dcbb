/**
 * restic's sealing (spec §2, restic internal/crypto/crypto.go): AES-256-CTR
 * for secrecy, then Poly1305-AES over the ciphertext only, with the IV as the
 * Poly1305-AES nonce. A sealed file is `iv(16) || ct || mac(16)`.
 */
import { createCipheriv, createDecipheriv, timingSafeEqual } from 'node:crypto';
import sodium from 'sodium-native';
import type { Random } from '../common/clock.js';
import { fail } from '../common/errors.js';
import { releaseBuffer } from '../common/memory.js';

export interface MasterKey {
  /** AES-256 key for the CTR cipher. */
  readonly encrypt: Buffer;
  /** AES-128 key that turns the IV into the Poly1305 `s`. */
  readonly macK: Buffer;
  /** Poly1305 `r`; restic ≥ 0.17 may store it unclamped, so it is clamped on use. */
  readonly macR: Buffer;
}

const IV_SIZE = 16;
const MAC_SIZE = 16;
export const SEAL_OVERHEAD = IV_SIZE + MAC_SIZE;

const R_CLAMP = Buffer.from('ffffff0ffcffff0ffcffff0ffcffff0f', 'hex');

/** Views a Uint8Array as a Buffer without copying. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const b of bytes) acc |= b;
  return acc === 0;
}

/** The one-time Poly1305 key `clamp(r) || AES-128_k(iv)`. */
function poly1305Key(key: MasterKey, iv: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(32);
  for (let i = 0; i < 16; i++) out[i] = key.macR[i]! & R_CLAMP[i]!;
  const ecb = createCipheriv('aes-128-ecb', key.macK, null);
  ecb.setAutoPadding(false);
  ecb.update(iv).copy(out, 16);
  return out;
}

function computeMac(key: MasterKey, iv: Uint8Array, ct: Buffer, out: Buffer): void {
  sodium.crypto_onetimeauth(out, ct, poly1305Key(key, iv));
}

export function seal(key: MasterKey, plaintext: Uint8Array, iv: Uint8Array): Buffer {
  if (iv.length !== IV_SIZE || isAllZero(iv)) throw fail('INTERNAL', 'seal: iv must be 16 bytes and not all zero');
  const n = plaintext.length;
  const out = Buffer.allocUnsafe(n + SEAL_OVERHEAD);
  out.set(iv, 0);
  // Node cannot encrypt into a caller's buffer, so this copy is the only one.
  const ct = createCipheriv('aes-256-ctr', key.encrypt, iv).update(plaintext);
  if (ct.length !== n) throw fail('INTERNAL', 'seal: CTR produced a short ciphertext');
  out.set(ct, IV_SIZE);
  computeMac(key, iv, out.subarray(IV_SIZE, IV_SIZE + n), out.subarray(IV_SIZE + n));
  return out;
}

export function sealRandom(key: MasterKey, plaintext: Uint8Array, random: Random): Buffer {
  return seal(key, plaintext, randomIv(random));
}

/** Bytes encrypted per cipher call when sealing in place: small enough to stay in cache. */
const IN_PLACE_PIECE = 128 * 1024;

/**
 * Seals `framed[16 : length-16]` in place: the 16 bytes either side take the IV and the MAC, so
 * `framed` becomes the sealed blob, byte for byte what seal() gives. Node cannot encrypt into a
 * caller's buffer, so the payload is encrypted a piece at a time and each piece's ciphertext
 * copied back and freed at once: the blob's memory is the only large allocation. Backup seals
 * every new chunk this way.
 */
export function sealInPlaceRandom(key: MasterKey, framed: Uint8Array, random: Random): void {
  const n = framed.length - SEAL_OVERHEAD;
  if (n < 0) throw fail('INTERNAL', 'seal: a frame needs 32 spare bytes');
  const iv = randomIv(random);
  const cipher = createCipheriv('aes-256-ctr', key.encrypt, iv);
  for (let off = IV_SIZE; off < IV_SIZE + n; off += IN_PLACE_PIECE) {
    const piece = framed.subarray(off, Math.min(off + IN_PLACE_PIECE, IV_SIZE + n));
    const ct = cipher.update(piece);
    if (ct.length !== piece.length) throw fail('INTERNAL', 'seal: CTR produced a short ciphertext');
    piece.set(ct);
    releaseBuffer(ct);
  }
  framed.set(iv, 0);
  computeMac(key, iv, asBuffer(framed.subarray(IV_SIZE, IV_SIZE + n)), asBuffer(framed.subarray(IV_SIZE + n)));
}

function randomIv(random: Random): Uint8Array {
  // An all-zero IV has probability 2^-128; redrawing a few times only guards a broken Random.
  for (let i = 0; i < 4; i++) {
    const iv = random.bytes(IV_SIZE);
    if (!isAllZero(iv)) return iv;
  }
  throw fail('INTERNAL', 'random source returned an all-zero iv repeatedly');
}

interface Parts {
  readonly iv: Buffer;
  readonly ct: Buffer;
  readonly mac: Buffer;
}

function split(sealed: Uint8Array): Parts {
  const buf = asBuffer(sealed);
  if (buf.length < SEAL_OVERHEAD) throw fail('INVALID_DATA', 'trying to decrypt invalid data: ciphertext too short');
  const iv = buf.subarray(0, IV_SIZE);
  if (isAllZero(iv)) throw fail('INVALID_DATA', 'nonce is invalid');
  return { iv, ct: buf.subarray(IV_SIZE, buf.length - MAC_SIZE), mac: buf.subarray(buf.length - MAC_SIZE) };
}

function verifies(key: MasterKey, parts: Parts): boolean {
  const expected = Buffer.allocUnsafe(MAC_SIZE);
  computeMac(key, parts.iv, parts.ct, expected);
  return timingSafeEqual(expected, parts.mac);
}

export function open(key: MasterKey, sealed: Uint8Array): Buffer {
  const parts = split(sealed);
  if (!verifies(key, parts)) throw fail('INVALID_DATA', 'ciphertext verification failed');
  return createDecipheriv('aes-256-ctr', key.encrypt, parts.iv).update(parts.ct);
}

export function isAuthentic(key: MasterKey, sealed: Uint8Array): boolean {
  if (sealed.length < SEAL_OVERHEAD || isAllZero(sealed.subarray(0, IV_SIZE))) return false;
  return verifies(key, split(sealed));
}

export function newMasterKey(random: Random): MasterKey {
  const macR = Buffer.from(random.bytes(16));
  // restic 0.14 stores r already clamped; doing the same keeps our key files alike.
  for (let i = 0; i < 16; i++) macR[i] = macR[i]! & R_CLAMP[i]!;
  return checkKey({ encrypt: Buffer.from(random.bytes(32)), macK: Buffer.from(random.bytes(16)), macR });
}

/** restic refuses zero keys (Key.Valid); a zero key means a broken source or file. */
function checkKey(key: MasterKey): MasterKey {
  if (isAllZero(key.encrypt) || isAllZero(key.macK) || isAllZero(key.macR)) {
    throw fail('INVALID_DATA', 'master key is invalid (zero)');
  }
  return Object.freeze(key);
}

export function masterKeyToJson(key: MasterKey): Buffer {
  const json = {
    mac: { k: key.macK.toString('base64'), r: key.macR.toString('base64') },
    encrypt: key.encrypt.toString('base64'),
  };
  return Buffer.from(JSON.stringify(json), 'utf8');
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64Field(value: unknown, name: string, length: number): Buffer {
  if (typeof value !== 'string' || !BASE64.test(value)) throw fail('INVALID_DATA', `master key: ${name} is not base64`);
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length !== length) throw fail('INVALID_DATA', `master key: ${name} must be ${length} bytes`);
  return bytes;
}

export function masterKeyFromJson(bytes: Uint8Array): MasterKey {
  let json: { mac?: { k?: unknown; r?: unknown }; encrypt?: unknown };
  try {
    json = JSON.parse(asBuffer(bytes).toString('utf8'));
  } catch {
    // No cause: V8's SyntaxError quotes the input, which here is key material.
    throw fail('INVALID_DATA', 'master key is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || typeof json.mac !== 'object' || json.mac === null) {
    throw fail('INVALID_DATA', 'master key JSON lacks "mac"');
  }
  return checkKey({
    encrypt: base64Field(json.encrypt, 'encrypt', 32),
    macK: base64Field(json.mac.k, 'mac.k', 16),
    macR: base64Field(json.mac.r, 'mac.r', 16),
  });
}
