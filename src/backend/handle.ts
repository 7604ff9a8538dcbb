/**
 * Helpers every backend shares: handle validation, short labels for error
 * messages, range arithmetic, cancellation and the errno → catalog mapping.
 * Internal to src/backend.
 */
import { fail, isHoldfastError, errorMessage, type HoldfastError } from '../common/errors.js';
import { isId, shortId } from '../common/ids.js';
import type { FileType, Handle } from './backend.js';

export const FILE_TYPES: readonly FileType[] = Object.freeze(['config', 'key', 'data', 'index', 'snapshot', 'lock']);

export function checkType(type: FileType): void {
  if (!FILE_TYPES.includes(type)) throw fail('INVALID_ARGUMENT', `unknown file type ${JSON.stringify(String(type).slice(0, 20))}`);
}

/** Rejects names that could escape the layout: only '' for config and ids otherwise. */
export function checkHandle(h: Handle): void {
  checkType(h.type);
  const ok = h.type === 'config' ? h.name === '' : isId(h.name);
  if (!ok) throw fail('INVALID_ARGUMENT', `invalid ${h.type} file name ${JSON.stringify(String(h.name).slice(0, 80))}`);
}

/** 'config' or 'data/0123abcd': enough to find the file, short enough for a log line. */
export function label(h: Handle): string {
  return h.type === 'config' ? 'config' : `${h.type}/${shortId(h.name)}`;
}

export function notFound(h: Handle, what: string): HoldfastError {
  return fail('NOT_FOUND', `${what}: ${label(h)} does not exist`, { data: { type: h.type, name: h.name } });
}

export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw fail('CANCELED', `${what}: canceled`, { cause: signal.reason });
}

export interface ByteRange {
  readonly start: number;
  readonly length: number;
}

/** Turns load()'s {offset, length} into absolute bounds within a file of `size` bytes. */
export function resolveRange(size: number, range: { offset?: number; length?: number } | undefined, what: string): ByteRange {
  const offset = range?.offset ?? 0;
  if (!Number.isSafeInteger(offset)) throw fail('INVALID_ARGUMENT', `${what}: offset ${offset} is not an integer`);
  const start = offset < 0 ? size + offset : offset;
  const length = range?.length ?? size - start;
  if (!Number.isSafeInteger(length)) throw fail('INVALID_ARGUMENT', `${what}: length ${length} is not an integer`);
  if (start < 0 || length < 0 || start + length > size) {
    throw fail('INVALID_DATA', `${what}: asked for ${range?.length ?? 'all'} bytes at offset ${offset}, but the file has ${size}`);
  }
  return { start, length };
}

export function partsOf(data: Uint8Array | readonly Uint8Array[]): readonly Uint8Array[] {
  return data instanceof Uint8Array ? [data] : data;
}

/** A fresh copy, so neither side can change the other's bytes later. */
export function concatParts(data: Uint8Array | readonly Uint8Array[]): Buffer {
  // Buffer.concat always allocates and copies, even for a single part.
  return Buffer.concat(partsOf(data));
}

export function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Maps an I/O failure into the catalog: errors that already are catalog errors
 * pass unchanged, a full disk or quota is permanent (NO_SPACE), anything else
 * may go away on retry (BACKEND_IO).
 */
export function ioError(err: unknown, what: string): HoldfastError {
  if (isHoldfastError(err)) return err;
  const code = errnoOf(err);
  const kind = code === 'ENOSPC' || code === 'EDQUOT' ? 'NO_SPACE' : 'BACKEND_IO';
  return fail(kind, `${what}: ${errorMessage(err)}`, { cause: err, data: code === undefined ? {} : { errno: code } });
}
