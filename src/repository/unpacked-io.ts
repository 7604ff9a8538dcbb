/**
 * Loading and saving "unpacked" files (index, snapshots, locks): sealed JSON,
 * zstd-compressed in v2, named by the SHA-256 of the stored bytes.
 */
import { fail } from '../common/errors.js';
import { hashId, type Id } from '../common/ids.js';
import type { Random } from '../common/clock.js';
import type { Backend, CallOptions, FileType } from '../backend/backend.js';
import { open, sealRandom, type MasterKey } from '../format/crypto.js';
import { decodeUnpacked, encodeUnpacked } from '../format/unpacked.js';

export type UnpackedType = Extract<FileType, 'index' | 'snapshot' | 'lock'>;

export interface UnpackedStore {
  load(type: UnpackedType, id: Id, opts?: CallOptions): Promise<Buffer>;
  save(type: UnpackedType, json: Uint8Array, opts?: CallOptions): Promise<Id>;
}

export function unpackedStore(o: { backend: Backend; key: MasterKey; version: 1 | 2; random: Random }): UnpackedStore {
  return {
    async load(type, id, opts) {
      const stored = await o.backend.load({ type, name: id }, undefined, opts);
      const actual = hashId(stored);
      if (actual !== id) {
        throw fail('INVALID_DATA', `${type} file ${id.slice(0, 8)} is damaged: its content hashes to ${actual.slice(0, 8)}`, { data: { type, id } });
      }
      return decodeUnpacked(open(o.key, stored), o.version);
    },
    async save(type, json, opts) {
      const stored = sealRandom(o.key, encodeUnpacked(json, o.version), o.random);
      const id = hashId(stored);
      await o.backend.save({ type, name: id }, stored, opts);
      return id;
    },
  };
}
