/**
 * Secrets at rest: repository passwords are encrypted under the server's
 * master key (AES-256-GCM), API tokens are stored as SHA-256 hashes (they are
 * 32 random bytes, so a fast hash is enough), user passwords with scrypt.
 * Nothing here ever returns or logs a secret it was not asked to produce.
 */
import { createCipheriv, createDecipheriv, createHash, scrypt, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { fail } from '../common/errors.js';
import type { Random } from '../common/clock.js';

const TOKEN_PREFIX = 'hf';

export function parseMasterKey(text: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw fail('INVALID_ARGUMENT', 'the master key must be 32 bytes, base64-encoded');
  return key;
}

export function encryptSecret(masterKey: Buffer, plaintext: string, random: Random): string {
  const iv = random.bytes(12);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64'), body.toString('base64'), cipher.getAuthTag().toString('base64')].join('.');
}

export function decryptSecret(masterKey: Buffer, stored: string): string {
  const [version, iv, body, tag] = stored.split('.');
  if (version !== 'v1' || iv === undefined || body === undefined || tag === undefined) throw fail('INVALID_DATA', 'a stored secret is malformed');
  try {
    const decipher = createDecipheriv('aes-256-gcm', masterKey, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
  } catch (err) {
    throw fail('INVALID_DATA', 'a stored secret does not open with this master key', { cause: err });
  }
}

export interface IssuedToken {
  /** Shown once to its owner. */
  readonly token: string;
  readonly lookupId: string;
  readonly hash: string;
}

/** A bearer token `hf_<lookup id>_<secret>`: the lookup id finds the row, the secret is checked against its hash. */
export function issueToken(random: Random): IssuedToken {
  const lookupId = random.bytes(9).toString('base64url');
  const secret = random.bytes(32).toString('base64url');
  return { token: `${TOKEN_PREFIX}_${lookupId}_${secret}`, lookupId, hash: hashTokenSecret(secret) };
}

export function splitToken(token: string): { lookupId: string; secret: string } | undefined {
  const m = /^hf_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$/.exec(token);
  return m === null ? undefined : { lookupId: m[1]!, secret: m[2]! };
}

export function tokenMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashTokenSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

function hashTokenSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

const SCRYPT = { N: 16384, r: 8, p: 1 };

export function hashPassword(password: string, random: Random): string {
  const salt = random.bytes(16);
  const hash = scryptSync(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

function scryptAsync(password: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, length, options, (err, key) => (err === null ? resolve(key) : reject(err))));
}

/** Checks a password against its stored scrypt hash off the event loop (Basic auth runs it on every request). */
export async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(actual, expected);
}

/** A random repository password: 32 bytes, base64url. */
export function newRepositoryPassword(random: Random): string {
  return random.bytes(32).toString('base64url');
}
