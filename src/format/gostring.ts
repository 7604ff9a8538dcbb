/**
 * Go's string escapes, byte for byte: strconv.Quote/Unquote (restic writes a
 * node name as Quote(name) without the quotes, which lets non-UTF-8 names
 * survive JSON) and encoding/json's string encoder as of go1.19 (restic 0.14).
 * Both decide UTF-8 validity one rune at a time like utf8.DecodeRune, so an
 * invalid sequence costs exactly one byte.
 */
import { isUtf8 } from 'node:buffer';
import { fail } from '../common/errors.js';
import { isGoPrintable } from './go-printable.js';

const INVALID = -1;

/** Continuation-byte bounds for the second byte of a multi-byte sequence (RFC 3629 table). */
function secondByteRange(b0: number): [number, number] {
  if (b0 === 0xe0) return [0xa0, 0xbf];
  if (b0 === 0xed) return [0x80, 0x9f];
  if (b0 === 0xf0) return [0x90, 0xbf];
  if (b0 === 0xf4) return [0x80, 0x8f];
  return [0x80, 0xbf];
}

function sequenceLength(b0: number): number {
  if (b0 >= 0xc2 && b0 <= 0xdf) return 2;
  if (b0 >= 0xe0 && b0 <= 0xef) return 3;
  if (b0 >= 0xf0 && b0 <= 0xf4) return 4;
  return 0;
}

/** Go's utf8.DecodeRune at `i`: [rune, size], or [INVALID, 1] for a byte that starts no valid rune. */
export function decodeRune(b: Uint8Array, i: number): [number, number] {
  const b0 = b[i]!;
  if (b0 < 0x80) return [b0, 1];
  const n = sequenceLength(b0);
  if (n === 0 || i + n > b.length) return [INVALID, 1];
  const [lo, hi] = secondByteRange(b0);
  const b1 = b[i + 1]!;
  if (b1 < lo || b1 > hi) return [INVALID, 1];
  let cp = (b0 & (0xff >> (n + 1))) * 64 + (b1 & 0x3f);
  for (let k = 2; k < n; k++) {
    const bk = b[i + k]!;
    if ((bk & 0xc0) !== 0x80) return [INVALID, 1];
    cp = cp * 64 + (bk & 0x3f);
  }
  return [cp, n];
}

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

const LETTER_ESCAPES: ReadonlyMap<number, string> = new Map([
  [0x07, '\\a'], [0x08, '\\b'], [0x0c, '\\f'], [0x0a, '\\n'], [0x0d, '\\r'], [0x09, '\\t'], [0x0b, '\\v'],
  [0x22, '\\"'], [0x5c, '\\\\'],
]);

/** strconv's appendEscapedRune for a valid rune and quote '"'. */
function quoteRune(cp: number): string {
  const letter = LETTER_ESCAPES.get(cp);
  if (letter !== undefined) return letter;
  if (isGoPrintable(cp)) return String.fromCodePoint(cp);
  if (cp < 0x20 || cp === 0x7f) return `\\x${hex(cp, 2)}`;
  return cp < 0x10000 ? `\\u${hex(cp, 4)}` : `\\U${hex(cp, 8)}`;
}

const PLAIN_ASCII = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/;

/** strconv.Quote(name) without the surrounding quotes (spec §6 "Name escaping"). */
export function goQuoteBytes(name: Uint8Array): string {
  const latin1 = Buffer.from(name.buffer, name.byteOffset, name.length).toString('latin1');
  if (PLAIN_ASCII.test(latin1)) return latin1;
  let out = '';
  for (let i = 0; i < name.length; ) {
    const [cp, size] = decodeRune(name, i);
    out += cp === INVALID ? `\\x${hex(name[i]!, 2)}` : quoteRune(cp);
    i += size;
  }
  return out;
}

function badEscape(s: string, why: string): never {
  throw fail('INVALID_DATA', `invalid quoted name ${JSON.stringify(s.slice(0, 64))}: ${why}`);
}

const SIMPLE_UNESCAPES: ReadonlyMap<number, number> = new Map(
  [...LETTER_ESCAPES].map(([byte, esc]) => [esc.charCodeAt(1), byte]),
);

function readHex(s: string, bytes: Uint8Array, at: number, digits: number): number {
  const text = Buffer.from(bytes.subarray(at, at + digits)).toString('latin1');
  if (text.length !== digits || !/^[0-9a-fA-F]+$/.test(text)) return badEscape(s, `expected ${digits} hex digits`);
  return parseInt(text, 16);
}

function readOctal(s: string, bytes: Uint8Array, at: number): number {
  const text = Buffer.from(bytes.subarray(at, at + 3)).toString('latin1');
  if (!/^[0-7]{3}$/.test(text)) return badEscape(s, 'expected 3 octal digits');
  const v = parseInt(text, 8);
  return v > 255 ? badEscape(s, 'octal escape above \\377') : v;
}

/** One escape at bytes[i] === '\\': writes its bytes to out and returns [new i, new o]. */
function unescapeAt(s: string, bytes: Uint8Array, i: number, out: Buffer, o: number): [number, number] {
  const c = bytes[i + 1];
  if (c === undefined) return badEscape(s, 'trailing backslash');
  const simple = SIMPLE_UNESCAPES.get(c);
  if (simple !== undefined) return [i + 2, out.writeUInt8(simple, o)];
  if (c >= 0x30 && c <= 0x37) return [i + 4, out.writeUInt8(readOctal(s, bytes, i + 1), o)];
  const digits = c === 0x78 ? 2 : c === 0x75 ? 4 : c === 0x55 ? 8 : 0;
  if (digits === 0) return badEscape(s, `unknown escape \\${String.fromCharCode(c)}`);
  const v = readHex(s, bytes, i + 2, digits);
  if (digits === 2) return [i + 4, out.writeUInt8(v, o)];
  if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return badEscape(s, 'escape is not a valid rune');
  return [i + 2 + digits, o + out.write(String.fromCodePoint(v), o, 'utf8')];
}

/**
 * strconv.Unquote('"' + s + '"') as bytes: \xNN and octal escapes give raw
 * bytes, so the result need not be UTF-8. An unescaped '"' or newline is an error, as in Go.
 */
export function goUnquoteBytes(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  if (!bytes.includes(0x5c) && !bytes.includes(0x22) && !bytes.includes(0x0a)) return bytes;
  const out = Buffer.alloc(bytes.length); // every escape is longer than what it stands for
  let o = 0;
  for (let i = 0; i < bytes.length; ) {
    const c = bytes[i]!;
    if (c === 0x22 || c === 0x0a) return badEscape(s, c === 0x22 ? 'unescaped quote' : 'unescaped newline');
    if (c === 0x5c) [i, o] = unescapeAt(s, bytes, i, out, o);
    else out[o++] = bytes[i++]!;
  }
  return out.subarray(0, o);
}

/** encoding/json's escape for each ASCII byte (HTML-safe mode, go1.19: no \b or \f shorthand). */
const JSON_ASCII_ESCAPES: readonly (string | undefined)[] = Array.from({ length: 0x80 }, (_, b) => {
  if (b === 0x22 || b === 0x5c) return `\\${String.fromCharCode(b)}`;
  if (b === 0x0a) return '\\n';
  if (b === 0x0d) return '\\r';
  if (b === 0x09) return '\\t';
  if (b < 0x20 || b === 0x3c || b === 0x3e || b === 0x26) return `\\u00${hex(b, 2)}`;
  return undefined;
});

/** The escape Go gives the UTF-16 unit at s[i], or undefined to copy it; surrogate pairs count as one. */
function jsonEscapeAt(s: string, i: number): string | undefined {
  const c = s.charCodeAt(i);
  if (c < 0x80) return JSON_ASCII_ESCAPES[c];
  if (c === 0x2028 || c === 0x2029) return `\\u${hex(c, 4)}`;
  if (c < 0xd800 || c > 0xdfff) return undefined;
  const paired = c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
  return paired ? '' : '\\ufffd';
}

function jsonEscapeBody(s: string): string {
  let out = '';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const esc = jsonEscapeAt(s, i);
    if (esc === undefined) continue;
    if (esc === '') {
      i++; // the low half of a surrogate pair goes out with its high half
      continue;
    }
    out += s.slice(start, i) + esc;
    start = i + 1;
  }
  return out + s.slice(start);
}

/** Go encoding/json's string literal (quotes included) for a string. */
export function goJsonString(s: string): string {
  return `"${jsonEscapeBody(s)}"`;
}

/** Go encoding/json's literal for a Go string holding these bytes: each invalid byte becomes \ufffd. */
export function goJsonStringFromBytes(b: Uint8Array): string {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  if (isUtf8(buf)) return goJsonString(buf.toString('utf8'));
  let out = '';
  let start = 0;
  for (let i = 0; i < buf.length; ) {
    const [cp, size] = decodeRune(buf, i);
    if (cp === INVALID) {
      out += jsonEscapeBody(buf.toString('utf8', start, i)) + '\\ufffd';
      start = i + 1;
    }
    i += size;
  }
  return `"${out}${jsonEscapeBody(buf.toString('utf8', start))}"`;
}
