/**
 * Checks for driver configs and restore targets: each reads one field of an
 * untyped object and throws INVALID_ARGUMENT naming the field, so an API or
 * CLI user learns exactly what to fix.
 */
import { isAbsolute } from 'node:path';
import { fail } from '../common/errors.js';

export type Fields = Readonly<Record<string, unknown>>;

export function objectOf(raw: unknown, what: string): Fields {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw fail('INVALID_ARGUMENT', `${what} must be an object`);
  }
  return raw as Fields;
}

export function requiredString(o: Fields, field: string): string {
  const v = o[field];
  if (typeof v !== 'string' || v.length === 0) throw fail('INVALID_ARGUMENT', `${field} must be a non-empty string`);
  return v;
}

export function optionalString(o: Fields, field: string): string | undefined {
  return o[field] === undefined ? undefined : requiredString(o, field);
}

/** A password may be empty (MariaDB's root on a fresh install), but must be a string. */
export function optionalSecret(o: Fields, field: string): string | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw fail('INVALID_ARGUMENT', `${field} must be a string`);
  return v;
}

export function absolutePath(o: Fields, field: string): string {
  const v = requiredString(o, field);
  if (!isAbsolute(v)) throw fail('INVALID_ARGUMENT', `${field} must be an absolute path`);
  return v;
}

export function optionalBoolean(o: Fields, field: string): boolean | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw fail('INVALID_ARGUMENT', `${field} must be a boolean`);
  return v;
}

export function optionalPort(o: Fields, field: string): number | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) {
    throw fail('INVALID_ARGUMENT', `${field} must be a port number (1-65535)`);
  }
  return v;
}

/** An argv for a hook: a non-empty array of strings, run without a shell. */
export function optionalArgv(o: Fields, field: string): readonly string[] | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length === 0 || !v.every((a) => typeof a === 'string')) {
    throw fail('INVALID_ARGUMENT', `${field} must be a non-empty array of strings (argv)`);
  }
  return Object.freeze([...(v as string[])]);
}

/** Parses a URL field with one of the allowed schemes. */
export function urlField(o: Fields, field: string, schemes: readonly string[]): URL {
  const text = requiredString(o, field);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw fail('INVALID_ARGUMENT', `${field} is not a valid URL`);
  }
  if (!schemes.includes(url.protocol)) {
    throw fail('INVALID_ARGUMENT', `${field} must use ${schemes.join(' or ')}`);
  }
  return url;
}
