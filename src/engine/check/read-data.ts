/**
 * `--read-data`: load every indexed pack whole and have the pack workers
 * verify it: the file hashes to its name, the header decodes, every blob
 * decrypts, decompresses and hashes to its id. Here the header is then held
 * against the index, entry for entry (restic 0.14 checkPack).
 */
import { errorMessage, fail, isHoldfastError } from '../../common/errors.js';
import { mapLimit } from '../../common/concurrency.js';
import type { Id } from '../../common/ids.js';
import type { CallOptions } from '../../backend/backend.js';
import type { PackedBlob } from '../../format/pack.js';
import type { Repository } from '../../repository/repository.js';
import { createPackPool, type PackPool } from '../workers/pack-pool.js';
import type { VerifiedPack } from '../workers/pack-protocol.js';
import type { CheckProblem } from './problems.js';

/** Whole packs held in memory at once (each up to 16 MiB by default, more with --pack-size). */
const PACKS_IN_FLIGHT = 2;
/** Entries listed per message before "and N more". */
const MAX_LISTED = 3;

export interface PackToRead {
  readonly id: Id;
  readonly size: number;
  /** What the index says the pack holds. */
  readonly blobs: readonly PackedBlob[];
}

export interface ReadDataProgress {
  readonly packsDone: number;
  readonly packsTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export interface ReadDataOptions {
  readonly workers: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: ReadDataProgress) => void;
}

export async function readPacks(repo: Repository, packs: readonly PackToRead[], opts: ReadDataOptions): Promise<CheckProblem[]> {
  const progress = { packsDone: 0, packsTotal: packs.length, bytesDone: 0, bytesTotal: packs.reduce((n, p) => n + p.size, 0) };
  const call: CallOptions = opts.signal === undefined ? {} : { signal: opts.signal };
  const pool = createPackPool(repo.key, opts.workers);
  try {
    opts.onProgress?.({ ...progress });
    const found = await mapLimit(packs, PACKS_IN_FLIGHT, async (pack) => {
      if (opts.signal?.aborted === true) throw fail('CANCELED', 'check canceled', { cause: opts.signal.reason });
      const problem = await readPack(repo, pool, pack, call);
      progress.packsDone++;
      progress.bytesDone += pack.size;
      opts.onProgress?.({ ...progress });
      return problem;
    });
    return found.filter((p): p is CheckProblem => p !== undefined);
  } finally {
    await pool.close();
  }
}

async function readPack(repo: Repository, pool: PackPool, pack: PackToRead, call: CallOptions): Promise<CheckProblem | undefined> {
  let data: Buffer;
  try {
    data = await repo.backend.load({ type: 'data', name: pack.id }, undefined, call);
  } catch (err) {
    if (isHoldfastError(err, 'CANCELED')) throw err;
    // Removed since the listing: only a concurrent prune could do that, and our lock keeps prune out.
    if (isHoldfastError(err, 'NOT_FOUND')) return { kind: 'pack-missing', pack: pack.id, snapshots: [] };
    return { kind: 'pack-damaged', pack: pack.id, message: `cannot be read: ${errorMessage(err)}`, snapshots: [] };
  }
  const issues = verdictIssues(await pool.verifyPack(pack.id, data), pack.blobs);
  return issues.length === 0 ? undefined : { kind: 'pack-damaged', pack: pack.id, message: issues.join('; '), snapshots: [] };
}

function verdictIssues(v: VerifiedPack, indexed: readonly PackedBlob[]): string[] {
  const issues: string[] = [];
  if (!v.hashOk) issues.push('the pack file does not hash to its name');
  if (v.headerError !== undefined) issues.push(`header unreadable: ${v.headerError}`);
  if (v.header !== undefined) issues.push(...headerVsIndex(v.header, indexed));
  if (v.blobErrors.length > 0) {
    issues.push(listed(`${count(v.blobErrors.length, 'blob')} failed to decrypt or verify`, v.blobErrors.map((e) => `${e.id}: ${e.error}`)));
  }
  return issues;
}

/** The header must list exactly the blobs the index lists for the pack: type, id, offset, length, uncompressed length. */
export function headerVsIndex(header: readonly PackedBlob[], indexed: readonly PackedBlob[]): string[] {
  const inIndex = countKeys(indexed);
  const inHeader = countKeys(header);
  const onlyHeader = header.filter((b) => take(inIndex, entryKey(b)));
  const onlyIndex = indexed.filter((b) => take(inHeader, entryKey(b)));
  const issues: string[] = [];
  if (onlyHeader.length > 0) issues.push(listed(`the header lists ${count(onlyHeader.length, 'entry', 'entries')} the index does not`, onlyHeader.map(describe)));
  if (onlyIndex.length > 0) issues.push(listed(`the index lists ${count(onlyIndex.length, 'entry', 'entries')} the header does not`, onlyIndex.map(describe)));
  return issues;
}

function entryKey(b: PackedBlob): string {
  return `${b.type}:${b.id}:${b.offset}:${b.length}:${b.uncompressedLength ?? 0}`;
}

function describe(b: PackedBlob): string {
  const plain = b.uncompressedLength === undefined ? '' : `, uncompressed ${b.uncompressedLength}`;
  return `${b.type} blob ${b.id} at ${b.offset} (length ${b.length}${plain})`;
}

function countKeys(blobs: readonly PackedBlob[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const b of blobs) counts.set(entryKey(b), (counts.get(entryKey(b)) ?? 0) + 1);
  return counts;
}

/** Consumes one occurrence of key; true when there was none left, i.e. the entry has no counterpart. */
function take(counts: Map<string, number>, key: string): boolean {
  const n = counts.get(key) ?? 0;
  if (n > 0) counts.set(key, n - 1);
  return n === 0;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function listed(summary: string, items: readonly string[]): string {
  const more = items.length > MAX_LISTED ? `, and ${items.length - MAX_LISTED} more` : '';
  return `${summary}: ${items.slice(0, MAX_LISTED).join(', ')}${more}`;
}
