/** The pure work behind pack tasks, usable in a worker or inline. */
import { errorMessage } from '../../common/errors.js';
import { hashId } from '../../common/ids.js';
import type { MasterKey } from '../../format/crypto.js';
import { readPackHeader } from '../../repository/pack-reader.js';
import { openBlob } from '../../repository/blob-codec.js';
import type { BlobInRange, OpenedBlob, VerifiedPack } from './pack-protocol.js';

export function openBlobs(key: MasterKey, data: Uint8Array, blobs: readonly BlobInRange[], keepPlaintext: boolean): OpenedBlob[] {
  return blobs.map((b) => {
    try {
      const plain = openBlob(key, refOf(b), data.subarray(b.offset, b.offset + b.length));
      return keepPlaintext ? { id: b.id, plaintext: plain } : { id: b.id };
    } catch (err) {
      return { id: b.id, error: errorMessage(err) };
    }
  });
}

export function verifyPack(key: MasterKey, packId: string, data: Uint8Array): VerifiedPack {
  const hashOk = hashId(data) === packId;
  let header: VerifiedPack['header'];
  try {
    header = readPackHeader(key, data);
  } catch (err) {
    return { hashOk, headerError: errorMessage(err), blobErrors: [] };
  }
  const opened = openBlobs(key, data, header, false);
  const blobErrors = opened.filter((o) => o.error !== undefined).map((o) => ({ id: o.id, error: o.error! }));
  return { hashOk, header, blobErrors };
}

function refOf(b: BlobInRange): { type: 'data' | 'tree'; id: string; uncompressedLength?: number } {
  return b.uncompressedLength === undefined ? { type: b.type, id: b.id } : { type: b.type, id: b.id, uncompressedLength: b.uncompressedLength };
}
