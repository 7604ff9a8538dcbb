/**
 * Gathers bytes into content-defined chunks. Callers write into the free
 * region of one reusable buffer (a file read lands there directly), then
 * commit; every finished chunk is copied out at its exact size. The buffer
 * never overflows: the chunker always cuts by MAX_CHUNK.
 */
import { createChunker, MAX_CHUNK, type ChunkerTables } from '../../format/chunker.js';

export interface ChunkAssembler {
  /** Free space to read into, at most `max` bytes. */
  region(max: number): Uint8Array;
  /** Accepts `n` bytes written into the last region; calls `emit` for every chunk completed. */
  commit(n: number, emit: (chunk: Buffer) => void): void;
  /** Ends the current stream: the remainder, if any, is the last chunk. */
  end(emit: (chunk: Buffer) => void): void;
}

export function createChunkAssembler(tables: ChunkerTables): ChunkAssembler {
  const chunker = createChunker(tables);
  const buf = Buffer.allocUnsafe(MAX_CHUNK);
  let len = 0;
  let scanned = 0;

  const takeChunk = (end: number): Buffer => {
    const chunk = Buffer.allocUnsafeSlow(end);
    buf.copy(chunk, 0, 0, end);
    buf.copyWithin(0, end, len);
    len -= end;
    scanned = 0;
    return chunk;
  };

  return {
    region: (max) => buf.subarray(len, len + Math.min(max, MAX_CHUNK - len)),
    commit(n, emit) {
      len += n;
      for (;;) {
        const cut = chunker.next(buf, scanned, len);
        if (cut < 0) {
          scanned = len;
          return;
        }
        emit(takeChunk(cut));
      }
    },
    end(emit) {
      if (len > 0) emit(takeChunk(len));
      chunker.reset();
    },
  };
}
