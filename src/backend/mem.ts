/**
 * The memory backend: files in a Map, for tests and dry runs. Every save and
 * load copies, so neither the caller nor the store can change the other's
 * bytes afterwards, just as with a real disk.
 */
import { fail } from '../common/errors.js';
import type { Backend, CallOptions, FileInfo, FileType, Handle } from './backend.js';
import { checkHandle, checkType, concatParts, label, notFound, resolveRange, throwIfAborted } from './handle.js';

export function memBackend(location = 'mem:'): Backend {
  return new MemBackend(location);
}

const CONFIG: Handle = Object.freeze({ type: 'config', name: '' });

class MemBackend implements Backend {
  readonly location: string;
  readonly #files = new Map<string, Buffer>();

  constructor(location: string) {
    this.location = location;
  }

  async create(opts: CallOptions = {}): Promise<void> {
    if (await this.hasConfig(opts)) throw fail('REPOSITORY_EXISTS', `a repository already exists at ${this.location}`);
  }

  async save(h: Handle, data: Uint8Array | readonly Uint8Array[], opts: CallOptions = {}): Promise<void> {
    checkHandle(h);
    throwIfAborted(opts.signal, `save ${label(h)}`);
    this.#files.set(key(h), concatParts(data));
  }

  async load(h: Handle, range?: { offset?: number; length?: number }, opts: CallOptions = {}): Promise<Buffer> {
    const what = `load ${label(h)}`;
    const file = this.#get(h, what, opts);
    const { start, length } = resolveRange(file.length, range, what);
    return Buffer.from(file.subarray(start, start + length));
  }

  async stat(h: Handle, opts: CallOptions = {}): Promise<FileInfo> {
    return { name: h.name, size: this.#get(h, `stat ${label(h)}`, opts).length };
  }

  async *list(type: FileType, opts: CallOptions = {}): AsyncIterable<FileInfo> {
    checkType(type);
    throwIfAborted(opts.signal, `list ${type}`);
    const prefix = `${type}/`;
    // A snapshot of the entries, so saves and removes during the listing are safe.
    for (const [k, file] of [...this.#files]) {
      if (!k.startsWith(prefix) || type === 'config') continue;
      throwIfAborted(opts.signal, `list ${type}`);
      yield { name: k.slice(prefix.length), size: file.length };
    }
  }

  async remove(h: Handle, opts: CallOptions = {}): Promise<void> {
    checkHandle(h);
    throwIfAborted(opts.signal, `remove ${label(h)}`);
    this.#files.delete(key(h));
  }

  async hasConfig(opts: CallOptions = {}): Promise<boolean> {
    throwIfAborted(opts.signal, 'look for config');
    return this.#files.has(key(CONFIG));
  }

  async close(): Promise<void> {}

  #get(h: Handle, what: string, opts: CallOptions): Buffer {
    checkHandle(h);
    throwIfAborted(opts.signal, what);
    const file = this.#files.get(key(h));
    if (file === undefined) throw notFound(h, what);
    return file;
  }
}

function key(h: Handle): string {
  return `${h.type}/${h.name}`;
}
