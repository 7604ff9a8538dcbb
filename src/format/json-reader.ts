/**
 * A JSON reader that decodes the way Go's encoding/json does where JSON.parse
 * would differ: numbers keep their exact digits (restic's inode, size and
 * device are uint64, past 2^53), invalid UTF-8 and lone surrogate escapes
 * become U+FFFD, and objects are Maps so no key can reach a prototype.
 * Field helpers treat null like a missing field, as Go does for struct fields.
 */
import { isUtf8 } from 'node:buffer';
import { fail } from '../common/errors.js';
import { decodeRune } from './gostring.js';

export interface JsonNumber {
  readonly kind: 'number';
  readonly raw: string;
}
export type JsonObject = Map<string, JsonValue>;
export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;

const MAX_DEPTH = 512;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

function bad(what: string, at: number): never {
  throw fail('INVALID_DATA', `malformed JSON: ${what} at byte ${at}`);
}

/** UTF-8 to string with one U+FFFD per invalid byte (Go), not per maximal subpart (WHATWG). */
function utf8ToString(b: Buffer, start: number, end: number): string {
  const part = b.subarray(start, end);
  if (isUtf8(part)) return part.toString('utf8');
  let out = '';
  for (let i = 0; i < part.length; ) {
    const [cp, size] = decodeRune(part, i);
    out += cp < 0 ? '\ufffd' : String.fromCodePoint(cp);
    i += size;
  }
  return out;
}

class Reader {
  pos = 0;
  readonly text: string;
  constructor(readonly buf: Buffer) {
    this.text = buf.toString('latin1'); // one char per byte, for the sticky regex and literal checks
  }

  skipSpace(): void {
    for (let c = this.buf[this.pos]; c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = this.buf[++this.pos]);
  }

  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) bad('nesting too deep', this.pos);
    this.skipSpace();
    const c = this.buf[this.pos];
    if (c === 0x7b) return this.object(depth);
    if (c === 0x5b) return this.array(depth);
    if (c === 0x22) return this.string();
    if (c === 0x74) return this.literal('true', true);
    if (c === 0x66) return this.literal('false', false);
    if (c === 0x6e) return this.literal('null', null);
    return this.number();
  }

  literal<T extends JsonValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) bad('unexpected character', this.pos);
    this.pos += word.length;
    return value;
  }

  number(): JsonNumber {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (m === null) return bad('unexpected character', this.pos);
    this.pos += m[0].length;
    return { kind: 'number', raw: m[0] };
  }

  /** Consumes `close` or a comma, telling whether the container goes on. */
  more(close: number): boolean {
    this.skipSpace();
    const c = this.buf[this.pos++];
    if (c === close) return false;
    if (c !== 0x2c) bad(`expected ',' or '${String.fromCharCode(close)}'`, this.pos - 1);
    return true;
  }

  /** True (and consumed) when the container opened at pos closes at once. */
  open(close: number): boolean {
    this.pos++;
    this.skipSpace();
    if (this.buf[this.pos] !== close) return false;
    this.pos++;
    return true;
  }

  array(depth: number): JsonValue[] {
    const out: JsonValue[] = [];
    if (this.open(0x5d)) return out;
    do out.push(this.value(depth + 1));
    while (this.more(0x5d));
    return out;
  }

  object(depth: number): JsonObject {
    const out: JsonObject = new Map();
    if (this.open(0x7d)) return out;
    do {
      this.skipSpace();
      if (this.buf[this.pos] !== 0x22) bad('expected a key', this.pos);
      const key = this.string();
      this.skipSpace();
      if (this.buf[this.pos++] !== 0x3a) bad("expected ':'", this.pos - 1);
      out.set(key, this.value(depth + 1));
    } while (this.more(0x7d));
    return out;
  }

  /** A run of ASCII is sliced from the latin1 text (cheap); only runs with high bytes are UTF-8 decoded. */
  span(start: number, end: number, ascii: boolean): string {
    return ascii ? this.text.slice(start, end) : utf8ToString(this.buf, start, end);
  }

  string(): string {
    let out = '';
    let start = ++this.pos;
    let ascii = true;
    for (;;) {
      const c = this.buf[this.pos];
      if (c === undefined) return bad('unterminated string', start);
      if (c < 0x20) bad('control character in string', this.pos);
      if (c === 0x22) break;
      if (c !== 0x5c) {
        if (c >= 0x80) ascii = false;
        this.pos++;
        continue;
      }
      out += this.span(start, this.pos, ascii) + this.escape();
      start = this.pos;
      ascii = true;
    }
    out += this.span(start, this.pos++, ascii);
    return out;
  }

  hex4(at: number): number {
    const digits = this.text.slice(at, at + 4);
    return /^[0-9a-fA-F]{4}$/.test(digits) ? parseInt(digits, 16) : -1;
  }

  /** One escape at pos; a lone surrogate becomes U+FFFD and a pair one character, as in Go. */
  escape(): string {
    const c = this.text[this.pos + 1] ?? '';
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined) {
      this.pos += 2;
      return simple;
    }
    const unit = c === 'u' ? this.hex4(this.pos + 2) : -1;
    if (unit < 0) return bad('invalid escape', this.pos);
    this.pos += 6;
    if (unit < 0xd800 || unit > 0xdfff) return String.fromCharCode(unit);
    const low = this.text.startsWith('\\u', this.pos) ? this.hex4(this.pos + 2) : -1;
    if (unit > 0xdbff || low < 0xdc00 || low > 0xdfff) return '\ufffd';
    this.pos += 6;
    return String.fromCharCode(unit, low);
  }
}

/** Parses one JSON document; anything but whitespace after it is an error. */
export function parseJson(bytes: Uint8Array): JsonValue {
  const reader = new Reader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  const value = reader.value(0);
  reader.skipSpace();
  if (reader.pos !== bytes.length) bad('trailing data', reader.pos);
  return value;
}

function badField(what: string, why: string): never {
  throw fail('INVALID_DATA', `${what}: ${why}`);
}

export function expectObject(v: JsonValue | undefined, what: string): JsonObject {
  return v instanceof Map ? v : badField(what, 'expected a JSON object');
}

export function expectArray(v: JsonValue | undefined, what: string): JsonValue[] {
  return Array.isArray(v) ? v : badField(what, 'expected a JSON array');
}

/** A field's value, with null read as missing. */
export function field(obj: JsonObject, key: string): Exclude<JsonValue, null> | undefined {
  const v = obj.get(key);
  return v === null ? undefined : v;
}

export function optString(obj: JsonObject, key: string, what: string): string | undefined {
  const v = field(obj, key);
  return v === undefined || typeof v === 'string' ? v : badField(`${what}.${key}`, 'expected a string');
}

export function optBool(obj: JsonObject, key: string, what: string): boolean | undefined {
  const v = field(obj, key);
  return v === undefined || typeof v === 'boolean' ? v : badField(`${what}.${key}`, 'expected a boolean');
}

/** The digits of a number that matches `pattern` (Go rejects 1.0 or 1e3 for integer fields). */
function numberText(v: JsonValue | undefined, pattern: RegExp, what: string, expected: string): string | undefined {
  if (v === undefined) return undefined;
  const ok = typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map) && pattern.test(v.raw);
  return ok ? v.raw : badField(what, `expected ${expected}`);
}

/** An unsigned integer of at most `bits` bits, as Go's strconv.ParseUint accepts it. */
export function optUint(obj: JsonObject, key: string, what: string, bits: 32 | 64): bigint | undefined {
  const raw = numberText(field(obj, key), /^\d+$/, `${what}.${key}`, 'an unsigned integer');
  if (raw === undefined) return undefined;
  const n = BigInt(raw);
  return n < 1n << BigInt(bits) ? n : badField(`${what}.${key}`, `${raw} does not fit in uint${bits}`);
}

/** A signed integer of at most `bits` bits, as Go's strconv.ParseInt accepts it. */
export function optInt(obj: JsonObject, key: string, what: string, bits: 32 | 64): bigint | undefined {
  const raw = numberText(field(obj, key), /^-?\d+$/, `${what}.${key}`, 'an integer');
  if (raw === undefined) return undefined;
  const n = BigInt(raw);
  const limit = 1n << BigInt(bits - 1);
  return n >= -limit && n < limit ? n : badField(`${what}.${key}`, `${raw} does not fit in int${bits}`);
}

/** A string array; null reads as missing. */
export function optStringArray(obj: JsonObject, key: string, what: string): string[] | undefined {
  const v = field(obj, key);
  if (v === undefined) return undefined;
  return expectArray(v, `${what}.${key}`).map((s) => (typeof s === 'string' ? s : badField(`${what}.${key}`, 'expected strings')));
}
