/**
 * Open files being restored, so a file filled by many blobs is opened once,
 * not once per blob. A file is created on its first write (or when finished,
 * if nothing was written: empty or all zeros), replacing whatever was at its
 * path without following it, and sized at once so that skipped zero blocks
 * stay holes. Writes are synchronous: into the page cache they take well
 * under a millisecond, far less than a thread-pool round trip each. At most
 * `limit` descriptors stay open; the least recently used is closed when
 * another is needed and reopened on demand.
 */
import { closeSync, ftruncateSync, openSync, rmSync, writeSync } from 'node:fs';

export interface OpenFiles {
  /** Writes data at offset into the file (of final size `size`), creating or opening it as needed. */
  write(path: Buffer, size: number, data: Uint8Array, offset: number): void;
  /** Creates the file if no write did, and closes it (before its metadata is applied). */
  finish(path: Buffer, size: number): void;
  closeAll(): void;
}

export function createOpenFiles(limit = 64): OpenFiles {
  const fds = new Map<string, number>();
  const created = new Set<string>();

  const openOrCreate = (path: Buffer, key: string, size: number): number => {
    if (created.has(key)) return openSync(path, 'r+');
    created.add(key);
    rmSync(path, { force: true });
    const fd = openSync(path, 'wx', 0o600);
    if (size > 0) ftruncateSync(fd, size);
    return fd;
  };

  const get = (path: Buffer, size: number): number => {
    const key = path.toString('latin1');
    let fd = fds.get(key);
    if (fd !== undefined) {
      fds.delete(key); // re-insert: Map order is the LRU order
    } else {
      if (fds.size >= limit) evictOldest();
      fd = openOrCreate(path, key, size);
    }
    fds.set(key, fd);
    return fd;
  };

  const evictOldest = (): void => {
    const [key, fd] = fds.entries().next().value as [string, number];
    fds.delete(key);
    closeSync(fd);
  };

  return {
    write(path, size, data, offset) {
      const fd = get(path, size);
      let done = 0;
      while (done < data.length) done += writeSync(fd, data, done, data.length - done, offset + done);
    },
    finish(path, size) {
      const key = path.toString('latin1');
      const fd = fds.get(key) ?? (created.has(key) ? undefined : openOrCreate(path, key, size));
      fds.delete(key);
      if (fd !== undefined) closeSync(fd);
    },
    closeAll() {
      for (const fd of fds.values()) closeSync(fd);
      fds.clear();
    },
  };
}
