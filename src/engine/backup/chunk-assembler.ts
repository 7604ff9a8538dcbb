/**
 * Gathers bytes into content-defined chunks. Callers write into the free
 * region of one reusable buffer (a file read lands there directly), then
 * commit; each finished chunk is handed out as a view into that buffer,
 * valid only during the callback, so chunks that are already stored are
 * never copied. The buffer never overflows: the chunker always cuts by MAX_CHUNK.
 */
import { createChunker, MAX_CHUNK, type ChunkerTables } from '../../format/chunker.js';

export type ChunkSink = (chunk: Buffer) => void;

export interface ChunkAssembler {
  /** Free space to read into, at most `max` bytes. */
  region(max: number): Uint8Array;
  /** Accepts `n` bytes written into the last region; calls `emit` for every chunk completed. */
  commit(n: number, emit: ChunkSink): void;
  /** Ends the current stream: the remainder, if any, is the last chunk. */
  end(emit: ChunkSink): void;
}

export function createChunkAssembler(tables: ChunkerTables): ChunkAssembler {
  const chunker = createChunker(tables);
  const buf = chunker.buffer(MAX_CHUNK); // hashed in place
  let len = 0;
  let scanned = 0;

  const cutAt = (end: number, emit: ChunkSink): void => {
    emit(buf.subarray(0, end));
    buf.copyWithin(0, end, len);
    len -= end;
    scanned = 0;
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
        cutAt(cut, emit);
      }
    },
    end(emit) {
      if (len > 0) cutAt(len, emit);
      chunker.reset();
    },
  };
}
