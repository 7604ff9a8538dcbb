/**
 * Index files (spec §5): which blobs live in which pack, at which offset.
 * The writer matches Go's field order; the reader takes restic's current form
 * and the legacy top-level array of packs (restic < 0.2, still read by 0.14).
 * Index files can hold 150 000 blobs, so reading uses JSON.parse: every number
 * here is a pack offset or length, far below 2^53.
 */
import { fail } from '../common/errors.js';
import { isId } from '../common/ids.js';
import type { BlobType, PackedBlob } from './pack.js';

export interface IndexPack {
  readonly id: string;
  readonly blobs: readonly PackedBlob[];
}

export interface IndexFile {
  /** Index files this one replaces; they may be deleted once it is stored. */
  readonly supersedes: readonly string[];
  readonly packs: readonly IndexPack[];
}

function bad(why: string): never {
  throw fail('INVALID_DATA', `index: ${why}`);
}

function checkId(id: unknown, what: string): string {
  return typeof id === 'string' && isId(id) ? id : bad(`${what} ${JSON.stringify(id)?.slice(0, 80)} is not an id`);
}

function encodeBlob(b: PackedBlob): string {
  checkId(b.id, 'blob id');
  if (b.type !== 'data' && b.type !== 'tree') bad(`blob ${b.id.slice(0, 8)} has unknown type ${String(b.type)}`);
  for (const n of [b.offset, b.length, b.uncompressedLength ?? 0]) {
    if (!Number.isSafeInteger(n) || n < 0) bad(`blob ${b.id.slice(0, 8)} has invalid offset or length ${n}`);
  }
  const uncompressed = b.uncompressedLength ? `,"uncompressed_length":${b.uncompressedLength}` : '';
  return `{"id":"${b.id}","type":"${b.type}","offset":${b.offset},"length":${b.length}${uncompressed}}`;
}

function encodePack(p: IndexPack): string {
  return `{"id":"${checkId(p.id, 'pack id')}","blobs":[${p.blobs.map(encodeBlob).join(',')}]}`;
}

/**
 * Compact JSON as restic writes it, newline included (restic uses json.Encoder);
 * "supersedes" is left out when empty (omitempty).
 */
export function encodeIndex(idx: IndexFile): Buffer {
  const supersedes = idx.supersedes.length === 0 ? '' : `"supersedes":[${idx.supersedes.map((id) => `"${checkId(id, 'superseded index')}"`).join(',')}],`;
  return Buffer.from(`{${supersedes}"packs":[${idx.packs.map(encodePack).join(',')}]}\n`, 'utf8');
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An array field; null or missing reads as empty, as Go leaves a nil slice. */
function listField(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : bad(`${what} is not an array`);
}

function uintField(v: unknown, what: string): number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : bad(`${what} ${JSON.stringify(v)?.slice(0, 40)} is not an unsigned integer`);
}

function parseBlob(v: unknown, where: string): PackedBlob {
  if (!isObject(v)) return bad(`blob entry in ${where} is not an object`);
  const id = checkId(v.id, 'blob id');
  if (v.type !== 'data' && v.type !== 'tree') bad(`blob ${id.slice(0, 8)} has invalid type ${JSON.stringify(v.type)}`);
  const type: BlobType = v.type;
  const offset = uintField(v.offset, `blob ${id.slice(0, 8)} offset`);
  const length = uintField(v.length, `blob ${id.slice(0, 8)} length`);
  const uncompressed = v.uncompressed_length === undefined || v.uncompressed_length === null ? 0 : uintField(v.uncompressed_length, `blob ${id.slice(0, 8)} uncompressed_length`);
  return uncompressed === 0 ? { type, id, offset, length } : { type, id, offset, length, uncompressedLength: uncompressed };
}

function parsePack(v: unknown): IndexPack {
  if (!isObject(v)) return bad('pack entry is not an object');
  const id = checkId(v.id, 'pack id');
  return { id, blobs: listField(v.blobs, `pack ${id.slice(0, 8)} blobs`).map((b) => parseBlob(b, `pack ${id.slice(0, 8)}`)) };
}

function parseJsonText(json: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(json.buffer, json.byteOffset, json.length).toString('utf8'));
  } catch (err) {
    throw fail('INVALID_DATA', 'index: not valid JSON', { cause: err });
  }
}

/** Reads an index file, current or legacy form, validating every id, type and number. */
export function parseIndex(json: Uint8Array): IndexFile {
  const doc = parseJsonText(json);
  if (Array.isArray(doc)) return { supersedes: [], packs: doc.map(parsePack) };
  if (!isObject(doc)) return bad('expected an object or an array');
  const supersedes = listField(doc.supersedes, 'supersedes').map((id) => checkId(id, 'superseded index'));
  return { supersedes, packs: listField(doc.packs, 'packs').map(parsePack) };
}
