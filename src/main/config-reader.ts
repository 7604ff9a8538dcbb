/**
 * A small typed reader over a parsed YAML document for the config file: each
 * accessor checks one value's type and the keys an object may have, and every
 * error names the value's key path and its line, e.g.
 * `holdfast.yaml: tenants[0].credentials[1].tokenFile (line 14): …`.
 */
import { LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { fail, type HoldfastError } from '../common/errors.js';

export type Path = readonly (string | number)[];
export type Plain = Record<string, unknown>;

export interface ConfigSource {
  readonly file: string;
  readonly doc: Document;
  readonly lines: LineCounter;
}

/** Parses YAML text; a syntax error names the file and the line. */
export function parseYaml(text: string, file: string): { source: ConfigSource; value: unknown } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const at = first.linePos?.[0];
    const why = (first.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw fail('INVALID_ARGUMENT', `${file}${at === undefined ? '' : ` (line ${at.line}, column ${at.col})`}: not valid YAML: ${why}`);
  }
  return { source: { file, doc, lines }, value: doc.toJS() };
}

export function pathText(path: Path): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc === '' ? p : `${acc}.${p}`), '');
}

/** The line of the nearest node on the path that the document has. */
function lineOf(src: ConfigSource, path: Path): number | undefined {
  for (let n = path.length; n > 0; n--) {
    const node = src.doc.getIn(path.slice(0, n), true) as YamlNode | null | undefined;
    const start = node?.range?.[0];
    if (start !== undefined) return src.lines.linePos(start).line;
  }
  return undefined;
}

/** The key path and line of a value, for messages: `policies[1].schedule (line 30)`. */
export function where(src: ConfigSource, path: Path): string {
  const line = lineOf(src, path);
  return `${pathText(path) || 'the document'}${line === undefined ? '' : ` (line ${line})`}`;
}

export function bad(src: ConfigSource, path: Path, message: string): HoldfastError {
  return fail('INVALID_ARGUMENT', `${src.file}: ${where(src, path)}: ${message}`);
}

/** An object with only the allowed keys and every required one. */
export function object(src: ConfigSource, v: unknown, path: Path, allowed: readonly string[], required: readonly string[] = []): Plain {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(src, path, 'must be a mapping (key: value)');
  const o = v as Plain;
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) throw bad(src, [...path, key], `unknown key "${key}" (allowed: ${allowed.join(', ')})`);
  }
  for (const key of required) if (o[key] === undefined || o[key] === null) throw bad(src, path, `"${key}" is required`);
  return o;
}

export function list(src: ConfigSource, v: unknown, path: Path): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw bad(src, path, 'must be a list');
  return v;
}

export function text(src: ConfigSource, v: unknown, path: Path, pattern?: RegExp, hint?: string): string {
  if (typeof v === 'number' || typeof v === 'boolean') throw bad(src, path, `must be a string; YAML read ${String(v)} as a ${typeof v}: put it in quotes`);
  if (typeof v !== 'string' || v === '') throw bad(src, path, 'must be a non-empty string');
  if (pattern !== undefined && !pattern.test(v)) throw bad(src, path, hint ?? `must match ${pattern.source}`);
  return v;
}

export function optionalText(src: ConfigSource, v: unknown, path: Path, pattern?: RegExp, hint?: string): string | undefined {
  return v === undefined || v === null ? undefined : text(src, v, path, pattern, hint);
}

export function integer(src: ConfigSource, v: unknown, path: Path, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw bad(src, path, `must be a whole number from ${min} to ${max}`);
  return v;
}

export function oneOf<T extends string>(src: ConfigSource, v: unknown, path: Path, values: readonly T[]): T {
  if (typeof v !== 'string' || !values.includes(v as T)) throw bad(src, path, `must be one of ${values.join(', ')}`);
  return v as T;
}

/** Runs a check that throws INVALID_ARGUMENT and re-throws its message under the path. */
export function checked<T>(src: ConfigSource, path: Path, check: () => T): T {
  try {
    return check();
  } catch (err) {
    throw bad(src, path, err instanceof Error ? err.message : String(err));
  }
}
