/**
 * Prompt release of dead buffers. Backup and restore churn through large
 * ArrayBuffers (sealed blobs, compressed output) while the JS heap stays
 * tiny, so V8 collects them late and a process can hold hundreds of MiB of
 * dead external memory. Asking for a collection after each few tens of MiB
 * keeps peak memory near what is really in use, for a few ms of CPU.
 */
import { setFlagsFromString } from 'node:v8';
import { types } from 'node:util';
import { runInNewContext } from 'node:vm';

type Collect = (options?: { type: 'minor' | 'major' }) => void;

let collect: Collect | undefined;
type Transfer = (this: ArrayBuffer, newLength: number) => ArrayBuffer;
let transfer: Transfer | null | undefined;

function collector(): Collect {
  if (collect === undefined) {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('typeof gc === "function" ? gc : undefined');
    collect = typeof gc === 'function' ? (gc as Collect) : () => undefined;
  }
  return collect;
}

/**
 * Counts bytes that became garbage; collects the young generation after every
 * `everyBytes` (buffers usually die young, and a scavenge costs about a
 * millisecond) and the whole heap after every `majorEveryBytes`.
 */
export function createGarbageMeter(everyBytes = 8 * 1024 * 1024, majorEveryBytes = 64 * 1024 * 1024): (bytes: number) => void {
  let since = 0;
  let sinceMajor = 0;
  return (bytes) => {
    since += bytes;
    sinceMajor += bytes;
    if (since < everyBytes) return;
    since = 0;
    const major = sinceMajor >= majorEveryBytes;
    if (major) sinceMajor = 0;
    collector()({ type: major ? 'major' : 'minor' });
  };
}

/**
 * ArrayBuffer.prototype.transfer: native from Node 21; on Node 20 V8 has it behind a flag, which
 * takes effect in contexts made after it is set (a fresh context here, and worker threads).
 */
function transferFunction(): Transfer | null {
  if (transfer !== undefined) return transfer;
  const native = (ArrayBuffer.prototype as { transfer?: Transfer }).transfer;
  if (typeof native === 'function') return (transfer = native);
  setFlagsFromString('--harmony-rab-gsab-transfer');
  const fresh: unknown = runInNewContext('ArrayBuffer.prototype.transfer');
  return (transfer = typeof fresh === 'function' ? (fresh as Transfer) : null);
}

/**
 * Frees the memory under `bytes` now instead of at some later collection: its whole ArrayBuffer
 * is detached (every view of it reads as empty afterwards), so the caller must own all of it.
 * Small buffers are left to the collector: they may be slices of Node's shared Buffer pool.
 * A SharedArrayBuffer or WebAssembly memory is never freed here.
 */
export function releaseBuffer(bytes: Uint8Array): void {
  const ab = bytes.buffer;
  if (!types.isArrayBuffer(ab) || ab.byteLength <= Buffer.poolSize) return;
  const fn = transferFunction();
  try {
    fn?.call(ab, 0);
  } catch {
    // Not detachable (WebAssembly memory): the collector frees it in its own time.
  }
}
