/**
 * Ids: restic names every file and blob by the SHA-256 of its bytes, written
 * as 64 lowercase hex characters.
 */
import { createHash } from 'node:crypto';
import { fail } from './errors.js';

/** 64 lowercase hex characters. */
export type Id = string;

const ID_PATTERN = /^[0-9a-f]{64}$/;

export function isId(s: string): boolean {
  return ID_PATTERN.test(s);
}

export function parseId(s: string): Id {
  if (!isId(s)) throw fail('INVALID_ARGUMENT', `not a valid id: ${JSON.stringify(s.slice(0, 80))}`);
  return s;
}

export function sha256(data: Uint8Array | readonly Uint8Array[]): Buffer {
  const h = createHash('sha256');
  if (data instanceof Uint8Array) h.update(data);
  else for (const part of data) h.update(part);
  return h.digest();
}

export function hashId(data: Uint8Array | readonly Uint8Array[]): Id {
  return sha256(data).toString('hex');
}

export function idToBytes(id: Id): Buffer {
  return Buffer.from(id, 'hex');
}

export function bytesToId(bytes: Uint8Array): Id {
  if (bytes.length !== 32) throw fail('INVALID_DATA', `id must be 32 bytes, got ${bytes.length}`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, 32).toString('hex');
}

export function shortId(id: Id): string {
  return id.slice(0, 8);
}
