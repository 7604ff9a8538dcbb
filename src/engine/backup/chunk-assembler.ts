/**
 * Gathers bytes into content-defined chunks. Callers write into the free
 * region of one reusable buffer (a file read lands there directly), then
 * commit; each finished chunk is handed out as a view into that buffer,
 * valid only during the callback, so chunks that are already stored are
 * never copied. The buffer never overflows: the chunker always cuts by MAX_CHUNK.
 * It lives outside the chunker's WebAssembly memory, which could never shrink
 * again after one long chunk.
 */
import { releaseBuffer } from '../../common/memory.js';
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

/** The buffer most files need: it grows, up to MAX_CHUNK, only while a chunk is longer. */
const USUAL_SIZE = 2 * 1024 * 1024;

export function createChunkAssembler(tables: ChunkerTables): ChunkAssembler {
  const chunker = createChunker(tables);
  let buf = Buffer.allocUnsafeSlow(USUAL_SIZE); // hashed where it lies, through the chunker's window
  let len = 0;
  let scanned = 0;

  const cutAt = (end: number, emit: ChunkSink): void => {
    emit(buf.subarray(0, end));
    buf.copyWithin(0, end, len);
    len -= end;
    scanned = 0;
  };

  const grow = (size: number): void => {
    const bigger = Buffer.allocUnsafeSlow(size);
    bigger.set(buf.subarray(0, len));
    releaseBuffer(buf);
    buf = bigger;
  };

  return {
    region(max) {
      const want = Math.min(max, MAX_CHUNK - len);
      if (buf.length - len < want) grow(Math.min(MAX_CHUNK, Math.max(2 * buf.length, len + want)));
      return buf.subarray(len, len + want);
    },
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
      // A long chunk grew the buffer: give the memory back rather than hold it for the next file.
      if (buf.length > USUAL_SIZE) {
        releaseBuffer(buf);
        buf = Buffer.allocUnsafeSlow(USUAL_SIZE);
      }
    },
  };
}
