/**
 * An open repository: its backend, master key, config and in-memory index,
 * with the narrow operations the engine builds on (load a verified blob,
 * load and save unpacked files, list snapshots).
 */
import { fail } from '../common/errors.js';
import { mapLimit } from '../common/concurrency.js';
import type { Id } from '../common/ids.js';
import type { Backend, CallOptions } from '../backend/backend.js';
import type { MasterKey } from '../format/crypto.js';
import type { RepoConfig } from '../format/config.js';
import type { BlobType } from '../format/pack.js';
import { parseIndex } from '../format/index-file.js';
import type { RepositoryEnv } from './context.js';
import { createMasterIndex, type MasterIndex } from './master-index.js';
import { openBlob } from './blob-codec.js';
import { unpackedStore, type UnpackedStore } from './unpacked-io.js';
import type { OpenedRepository } from './open.js';

export interface BlobLoader {
  loadBlob(type: BlobType, id: Id, opts?: CallOptions): Promise<Buffer>;
}

export interface Repository extends BlobLoader {
  readonly backend: Backend;
  readonly config: RepoConfig;
  readonly key: MasterKey;
  readonly keyId: Id;
  readonly env: RepositoryEnv;
  readonly index: MasterIndex;
  readonly unpacked: UnpackedStore;
  /** Loads every index file into `index`; returns the ids of the index files read. */
  loadIndex(opts?: CallOptions): Promise<Id[]>;
  listIds(type: 'snapshot' | 'index' | 'lock', opts?: CallOptions): Promise<Id[]>;
}

export function createRepository(opened: OpenedRepository, env: RepositoryEnv): Repository {
  const index = createMasterIndex();
  const unpacked = unpackedStore({ backend: opened.backend, key: opened.key, version: opened.config.version, random: env.random });

  const listIds = async (type: 'snapshot' | 'index' | 'lock', opts?: CallOptions): Promise<Id[]> => {
    const ids: Id[] = [];
    for await (const f of opened.backend.list(type, opts)) ids.push(f.name);
    return ids;
  };

  return {
    ...opened,
    env,
    index,
    unpacked,
    listIds,
    async loadIndex(opts) {
      const ids = await listIds('index', opts);
      const files = await mapLimit(ids, 8, (id) => unpacked.load('index', id, opts));
      for (const json of files) index.addIndexFile(parseIndex(json));
      return ids;
    },
    async loadBlob(type, id, opts) {
      const loc = index.lookup(type, id);
      if (loc === undefined) throw fail('NOT_FOUND', `${type} blob ${id.slice(0, 8)} is not in the index`, { data: { blob: id } });
      const stored = await opened.backend.load({ type: 'data', name: loc.packId }, { offset: loc.offset, length: loc.length }, opts);
      return openBlob(opened.key, { type, id, ...(loc.uncompressedLength === undefined ? {} : { uncompressedLength: loc.uncompressedLength }) }, stored);
    },
  };
}
