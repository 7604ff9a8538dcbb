/**
 * Prompt release of dead buffers. Backup and restore churn through large
 * ArrayBuffers (sealed blobs, compressed output) while the JS heap stays
 * tiny, so V8 collects them late and a process can hold hundreds of MiB of
 * dead external memory. Asking for a collection after each few tens of MiB
 * keeps peak memory near what is really in use, for a few ms of CPU.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collect = (options?: { type: 'minor' | 'major' }) => void;

let collect: Collect | undefined;

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
