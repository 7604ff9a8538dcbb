/**
 * Writes new blobs into packs (one packer per blob type, as v2 requires),
 * stores finished packs with bounded concurrency and writes index files as
 * packs land, so a crash keeps what was stored findable for the next backup.
 * Order on storage is always: packs, then the index that lists them. Packs
 * held in memory (backends that cannot append) allow fewer stores in flight.
 */
import type { Id } from '../common/ids.js';
import { createGarbageMeter, releaseBuffer } from '../common/memory.js';
import type { Clock, Random } from '../common/clock.js';
import type { CallOptions } from '../backend/backend.js';
import type { BlobType } from '../format/pack.js';
import { encodeIndex } from '../format/index-file.js';
import type { IndexPack } from '../format/index-file.js';
import { createPacker, DEFAULT_PACK_SIZE, type FinishedPack, type Packer, type SealedBlob } from './packer.js';
import { openPackOutput } from './pack-output.js';
import { sealBlob, type SealOptions } from './blob-codec.js';
import type { Repository } from './repository.js';

/** Sealed bytes that may wait for the disk before callers are held back. */
const MAX_UNWRITTEN = 8 * 1024 * 1024;

export interface BlobWriterOptions {
  readonly packSize?: number;
  /** Packs being stored at once: default 1 when packs are held in memory, 4 when appended to disk. */
  readonly uploads?: number;
  /** Write an index file after this many packs … */
  readonly indexEveryPacks?: number;
  /** … or this long after the last index file, whichever comes first. */
  readonly indexEveryNs?: bigint;
  readonly signal?: AbortSignal;
}

export interface WriterStats {
  readonly dataBlobs: number;
  readonly treeBlobs: number;
  readonly packs: number;
  /** Bytes of sealed blobs newly written (what the repository grew by, headers aside). */
  readonly storedBytes: number;
  /** Plaintext bytes of the blobs newly written. */
  readonly plainBytes: number;
}

export interface BlobWriter {
  /** Whether the blob is already stored or queued: callers skip sealing it again. */
  has(type: BlobType, id: Id): boolean;
  /** Queues a blob sealed elsewhere; resolves once there is room (backpressure). Duplicates are dropped. With `release`, the writer frees `sealed` once stored. */
  addSealed(blob: SealedBlob, plainLength: number): Promise<void>;
  /** Seals and queues a plaintext blob; returns its id. */
  addBlob(type: BlobType, plaintext: Uint8Array): Promise<Id>;
  /** Closes open packs, waits for every upload and writes the remaining index. */
  flush(): Promise<void>;
  stats(): WriterStats;
}

export function createBlobWriter(repo: Repository, seal: SealOptions, opts: BlobWriterOptions = {}): BlobWriter {
  return new BlobWriterImpl(repo, seal, opts);
}

class BlobWriterImpl implements BlobWriter {
  readonly #repo: Repository;
  readonly #seal: SealOptions;
  readonly #packSize: number;
  readonly #uploadsOption: number | undefined;
  readonly #indexEveryPacks: number;
  readonly #indexEveryNs: bigint;
  readonly #call: CallOptions;
  readonly #pending: Record<BlobType, Set<Id>> = { data: new Set(), tree: new Set() };
  readonly #packers: Partial<Record<BlobType, Packer>> = {};
  readonly #uploads = new Set<Promise<void>>();
  readonly #garbage = createGarbageMeter();
  #unindexed: IndexPack[] = [];
  #lastIndexNs: bigint;
  #failure: unknown = undefined;
  #stats = { dataBlobs: 0, treeBlobs: 0, packs: 0, storedBytes: 0, plainBytes: 0 };

  constructor(repo: Repository, seal: SealOptions, opts: BlobWriterOptions) {
    this.#repo = repo;
    this.#seal = seal;
    this.#packSize = opts.packSize ?? DEFAULT_PACK_SIZE;
    this.#uploadsOption = opts.uploads;
    this.#indexEveryPacks = opts.indexEveryPacks ?? 8;
    this.#indexEveryNs = opts.indexEveryNs ?? 15_000_000_000n;
    this.#call = opts.signal === undefined ? {} : { signal: opts.signal };
    this.#lastIndexNs = this.#clock.nowNs();
  }

  get #clock(): Clock { return this.#repo.env.clock; }
  get #random(): Random { return this.#repo.env.random; }

  has(type: BlobType, id: Id): boolean {
    return this.#pending[type].has(id) || this.#repo.index.has(type, id);
  }

  async addSealed(blob: SealedBlob, plainLength: number): Promise<void> {
    this.#throwIfFailed();
    if (this.has(blob.type, blob.id)) {
      if (blob.release === true) releaseBuffer(blob.sealed);
      return;
    }
    this.#pending[blob.type].add(blob.id);
    const length = blob.sealed.length; // a released blob reads as empty once written
    const packer = await this.#packerWithRoomFor(blob);
    packer.add(blob);
    await packer.drained(MAX_UNWRITTEN);
    // Written, or held by a buffered pack: either way collecting soon frees what is dead.
    if (blob.release !== true) this.#garbage(length);
    if (blob.type === 'data') this.#stats.dataBlobs++;
    else this.#stats.treeBlobs++;
    this.#stats.storedBytes += length;
    this.#stats.plainBytes += plainLength;
    if (packer.size >= this.#packSize) await this.#finishPacker(blob.type, packer);
  }

  /**
   * The open packer for the blob's type, once it has room for the blob. Other callers run while
   * this one waits, and may finish the packer it saw, so the answer is re-checked after every
   * wait and used before the next one.
   */
  async #packerWithRoomFor(blob: SealedBlob): Promise<Packer> {
    for (;;) {
      const packer = this.#packers[blob.type];
      if (packer === undefined) await this.#openPacker(blob.type);
      else if (packer.count > 0 && packer.wouldOverflowHeader(blob)) await this.#finishPacker(blob.type, packer);
      else return packer;
    }
  }

  async addBlob(type: BlobType, plaintext: Uint8Array): Promise<Id> {
    const sealed = sealBlob(this.#seal, type, plaintext);
    await this.addSealed({ ...sealed, release: true }, plaintext.length);
    return sealed.id;
  }

  async flush(): Promise<void> {
    for (const type of ['data', 'tree'] as const) await this.#finishPacker(type);
    await Promise.all(this.#uploads);
    this.#throwIfFailed();
    await this.#writeIndex();
  }

  stats(): WriterStats {
    return { ...this.#stats };
  }

  async #openPacker(type: BlobType): Promise<void> {
    const output = await openPackOutput(this.#repo.backend, this.#call);
    // Another caller may have opened one while we waited: keep theirs, drop ours.
    if (this.#packers[type] !== undefined) await output.discard();
    else this.#packers[type] = createPacker(type, output);
  }

  /** Finishes the open packer of a type, or only `expected` if given and still open. */
  async #finishPacker(type: BlobType, expected?: Packer): Promise<void> {
    const packer = this.#packers[type];
    if (packer === undefined || packer.count === 0 || (expected !== undefined && packer !== expected)) return;
    delete this.#packers[type];
    const pack = packer.finish(this.#seal.key, this.#random);
    const limit = this.#uploadsOption ?? (pack.output.buffered ? 1 : 4);
    while (this.#uploads.size >= limit) await Promise.race(this.#uploads);
    this.#throwIfFailed();
    const upload = this.#upload(pack).catch((err: unknown) => { this.#failure ??= err; });
    this.#uploads.add(upload);
    void upload.finally(() => this.#uploads.delete(upload));
  }

  async #upload(pack: FinishedPack): Promise<void> {
    await pack.output.complete({ type: 'data', name: pack.id }, this.#call);
    const entry: IndexPack = { id: pack.id, blobs: pack.blobs };
    this.#repo.index.addPack(entry);
    for (const b of pack.blobs) this.#pending[b.type].delete(b.id);
    this.#stats.packs++;
    this.#unindexed.push(entry);
    if (this.#indexDue()) await this.#writeIndex();
  }

  #indexDue(): boolean {
    return this.#unindexed.length >= this.#indexEveryPacks || this.#clock.nowNs() - this.#lastIndexNs >= this.#indexEveryNs;
  }

  async #writeIndex(): Promise<void> {
    if (this.#unindexed.length === 0) return;
    const packs = this.#unindexed;
    this.#unindexed = [];
    this.#lastIndexNs = this.#clock.nowNs();
    await this.#repo.unpacked.save('index', encodeIndex({ supersedes: [], packs }), this.#call);
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }
}
