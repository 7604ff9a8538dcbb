/**
 * The local backend: a repository in a directory, in restic's default layout
 * (config, keys/<id>, data/<id[0:2]>/<id>, index/<id>, snapshots/<id>,
 * locks/<id>), written the way restic's internal/backend/local does: temp
 * file, fsync, rename, fsync of the directory, then read-only.
 */
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { cryptoRandom, type Random } from '../common/clock.js';
import { fail } from '../common/errors.js';
import { isId } from '../common/ids.js';
import type { AppendingBackend, CallOptions, FileAppender, FileInfo, FileType, Handle } from './backend.js';
import {
  checkHandle, checkType, errnoOf, ioError, label, notFound, partsOf, resolveRange, throwIfAborted,
} from './handle.js';

export interface LocalOptions {
  /** Mode of stored files; restic makes them read-only. */
  readonly fileMode?: number;
  /** Source of the random temp-file suffix. */
  readonly random?: Random;
}

const FOLDERS: Readonly<Record<Exclude<FileType, 'config'>, string>> = Object.freeze({
  key: 'keys', data: 'data', index: 'index', snapshot: 'snapshots', lock: 'locks',
});
const DIR_MODE = 0o700;
/** Names of files being appended; never a 64-hex id, so listings skip them. */
const APPENDER_PREFIX = 'pack-tmp-';
const TEMP_MODE = 0o600;

export function localBackend(root: string, opts: LocalOptions = {}): AppendingBackend {
  return new LocalBackend(resolve(root), opts.fileMode ?? 0o400, opts.random ?? cryptoRandom);
}

/** restic's temp name: same directory, so the final rename never crosses file systems. */
function localTempName(path: string, random: Random): string {
  return `${path}-tmp-${random.bytes(8).toString('hex')}`;
}

class LocalBackend implements AppendingBackend {
  readonly location: string;
  readonly #root: string;
  readonly #fileMode: number;
  readonly #random: Random;

  constructor(root: string, fileMode: number, random: Random) {
    this.location = root;
    this.#root = root;
    this.#fileMode = fileMode;
    this.#random = random;
  }

  async create(opts: CallOptions = {}): Promise<void> {
    if (await this.hasConfig(opts)) throw fail('REPOSITORY_EXISTS', `a repository already exists at ${this.location}`);
    try {
      for (const dir of layoutFolders()) await mkdir(join(this.#root, dir), { recursive: true, mode: DIR_MODE });
    } catch (err) {
      throw ioError(err, `create ${this.location}`);
    }
  }

  async save(h: Handle, data: Uint8Array | readonly Uint8Array[], opts: CallOptions = {}): Promise<void> {
    checkHandle(h);
    const what = `save ${label(h)}`;
    throwIfAborted(opts.signal, what);
    const path = this.#path(h);
    const temp = localTempName(path, this.#random);
    const fh = await openNew(temp).catch((err: unknown) => {
      throw ioError(err, what);
    });
    try {
      await this.#fill(fh, partsOf(data));
      // Last moment to cancel before the file becomes visible.
      throwIfAborted(opts.signal, what);
      await rename(temp, path);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw ioError(err, what);
    }
    await syncDir(dirname(path)).catch((err: unknown) => {
      throw ioError(err, what);
    });
  }

  /**
   * Appenders write `data/pack-tmp-<random>` (skipped by listings: not an id);
   * commit renames it into data/XX/ on the same file system.
   */
  async openAppender(type: FileType, opts: CallOptions = {}): Promise<FileAppender> {
    checkType(type);
    if (type === 'config') throw fail('INVALID_ARGUMENT', 'config is written whole, not appended');
    throwIfAborted(opts.signal, `open appender for ${type}`);
    const temp = join(this.#root, FOLDERS[type], `${APPENDER_PREFIX}${this.#random.bytes(8).toString('hex')}`);
    const fh = await openNew(temp).catch((err: unknown) => {
      throw ioError(err, `open appender for ${type}`);
    });
    return localAppender({ fh, temp, fileMode: this.#fileMode, finalPath: (h) => this.#path(h) });
  }

  async removeAbandoned(type: FileType, opts: CallOptions = {}): Promise<number> {
    checkType(type);
    if (type === 'config') return 0;
    throwIfAborted(opts.signal, `remove abandoned ${type} files`);
    const folder = join(this.#root, FOLDERS[type]);
    const names = await readdir(folder).catch(emptyIfMissing);
    const abandoned = names.filter((n) => n.startsWith(APPENDER_PREFIX));
    for (const n of abandoned) await unlink(join(folder, n)).catch(() => undefined);
    return abandoned.length;
  }

  /** Writes, protects and syncs the temp file, and always closes it. */
  async #fill(fh: FileHandle, parts: readonly Uint8Array[]): Promise<void> {
    try {
      await writeAll(fh, parts);
      await fh.chmod(this.#fileMode);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async load(h: Handle, range?: { offset?: number; length?: number }, opts: CallOptions = {}): Promise<Buffer> {
    checkHandle(h);
    const what = `load ${label(h)}`;
    throwIfAborted(opts.signal, what);
    let fh: FileHandle;
    try {
      fh = await open(this.#path(h), 'r');
    } catch (err) {
      throw errnoOf(err) === 'ENOENT' ? notFound(h, what) : ioError(err, what);
    }
    try {
      const { start, length } = resolveRange((await fh.stat()).size, range, what);
      return await readAt(fh, start, length, what);
    } catch (err) {
      throw ioError(err, what);
    } finally {
      await fh.close();
    }
  }

  async stat(h: Handle, opts: CallOptions = {}): Promise<FileInfo> {
    checkHandle(h);
    const what = `stat ${label(h)}`;
    throwIfAborted(opts.signal, what);
    try {
      return { name: h.name, size: (await stat(this.#path(h))).size };
    } catch (err) {
      throw errnoOf(err) === 'ENOENT' ? notFound(h, what) : ioError(err, what);
    }
  }

  async *list(type: FileType, opts: CallOptions = {}): AsyncIterable<FileInfo> {
    checkType(type);
    const what = `list ${type}`;
    throwIfAborted(opts.signal, what);
    if (type === 'config') return;
    const folder = join(this.#root, FOLDERS[type]);
    try {
      const folders = type === 'data' ? await subfolders(folder) : [folder];
      for (const dir of folders) yield* listFolder(dir, opts.signal, what);
    } catch (err) {
      throw ioError(err, what);
    }
  }

  async remove(h: Handle, opts: CallOptions = {}): Promise<void> {
    checkHandle(h);
    const what = `remove ${label(h)}`;
    throwIfAborted(opts.signal, what);
    try {
      await unlink(this.#path(h));
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw ioError(err, what);
    }
  }

  async hasConfig(opts: CallOptions = {}): Promise<boolean> {
    throwIfAborted(opts.signal, 'look for config');
    try {
      await stat(join(this.#root, 'config'));
      return true;
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return false;
      throw ioError(err, 'look for config');
    }
  }

  async close(): Promise<void> {}

  #path(h: Handle): string {
    if (h.type === 'config') return join(this.#root, 'config');
    const folder = join(this.#root, FOLDERS[h.type]);
    return h.type === 'data' ? join(folder, h.name.slice(0, 2), h.name) : join(folder, h.name);
  }
}

function layoutFolders(): string[] {
  const data = Array.from({ length: 256 }, (_, i) => join('data', i.toString(16).padStart(2, '0')));
  return ['keys', 'locks', 'snapshots', 'index', 'data', ...data];
}

/** Opens a new temp file, creating its folder on demand (data/XX may be missing in repos made by others). */
async function openNew(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'wx', TEMP_MODE);
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw err;
    await mkdir(dirname(path), { recursive: true, mode: DIR_MODE });
    return await open(path, 'wx', TEMP_MODE);
  }
}

/** writev may write less than asked (e.g. at a file size limit): go on until done or an error. */
async function writeAll(fh: FileHandle, parts: readonly Uint8Array[]): Promise<void> {
  let rest = parts.filter((p) => p.length > 0);
  while (rest.length > 0) {
    const { bytesWritten } = await fh.writev(rest);
    if (bytesWritten === 0) throw fail('BACKEND_IO', 'write made no progress');
    rest = dropBytes(rest, bytesWritten);
  }
}

function dropBytes(parts: readonly Uint8Array[], n: number): Uint8Array[] {
  let i = 0;
  while (i < parts.length && n >= parts[i]!.length) n -= parts[i++]!.length;
  const rest = parts.slice(i);
  if (rest.length > 0 && n > 0) rest[0] = rest[0]!.subarray(n);
  return rest;
}

async function readAt(fh: FileHandle, start: number, length: number, what: string): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, start + done);
    if (bytesRead === 0) throw fail('INVALID_DATA', `${what}: file ended after ${done} of ${length} bytes`);
    done += bytesRead;
  }
  return buf;
}

/** Makes the rename durable; some file systems cannot sync a directory, as restic also tolerates. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch (err) {
    const code = errnoOf(err);
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
  } finally {
    await fh.close();
  }
}

async function subfolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(emptyIfMissing);
  return entries.filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
}

async function* listFolder(dir: string, signal: AbortSignal | undefined, what: string): AsyncIterable<FileInfo> {
  const names = await readdir(dir).catch(emptyIfMissing);
  for (const name of names) {
    if (!isId(name)) continue;
    throwIfAborted(signal, what);
    const st = await stat(join(dir, name)).catch((err: unknown) => {
      if (errnoOf(err) === 'ENOENT') return undefined; // removed while listing
      throw err;
    });
    if (st?.isFile()) yield { name, size: st.size };
  }
}

function emptyIfMissing(err: unknown): never[] {
  if (errnoOf(err) === 'ENOENT') return [];
  throw err;
}

interface AppenderParts {
  readonly fh: FileHandle;
  readonly temp: string;
  readonly fileMode: number;
  readonly finalPath: (h: Handle) => string;
}

function localAppender(o: AppenderParts): FileAppender {
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await o.fh.close();
  };
  return {
    async append(data) {
      await writeAll(o.fh, partsOf(data)).catch((err: unknown) => { throw ioError(err, 'append'); });
    },
    async commit(h, opts = {}) {
      checkHandle(h);
      const what = `save ${label(h)}`;
      const path = o.finalPath(h);
      try {
        await o.fh.chmod(o.fileMode);
        await o.fh.sync();
        await close();
        throwIfAborted(opts.signal, what);
        await mkdir(dirname(path), { recursive: true, mode: DIR_MODE });
        await rename(o.temp, path);
        await syncDir(dirname(path));
      } catch (err) {
        await close().catch(() => undefined);
        await unlink(o.temp).catch(() => undefined);
        throw ioError(err, what);
      }
    },
    async abort() {
      await close().catch(() => undefined);
      await unlink(o.temp).catch(() => undefined);
    },
  };
}
