/**
 * The retry wrapper (restic's backend/retry, kopia's blob/retrying): repeats a
 * call that failed with a transient error (a HoldfastError whose code is not
 * permanent, i.e. BACKEND_IO) after an exponential backoff. Permanent errors
 * (NOT_FOUND, NO_SPACE, INVALID_DATA, CANCELED …) and foreign errors pass
 * through at once. Retrying save is safe because save is atomic and may
 * overwrite a file with the same content.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { fail, isHoldfastError, withContext } from '../common/errors.js';
import type { Backend, CallOptions, FileInfo, FileType, Handle, WrappingBackend } from './backend.js';
import { label, throwIfAborted } from './handle.js';

export interface RetryInfo {
  readonly op: string;
  /** The attempt that just failed, from 1. */
  readonly attempt: number;
  readonly error: unknown;
}

export interface RetryOptions {
  /** Retries after the first attempt (default 5). */
  readonly retries?: number;
  /** Delay before the first retry; it doubles each time, up to 5 s (default 100 ms). */
  readonly baseDelayMs?: number;
  /** Waits `ms`; must reject when `signal` aborts. Injected by tests. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Told before each wait, e.g. to log the failure. */
  readonly onRetry?: (info: RetryInfo) => void;
}

interface Settings {
  readonly retries: number;
  readonly baseDelayMs: number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly onRetry: (info: RetryInfo) => void;
}

const MAX_DELAY_MS = 5000;

export function retryBackend(inner: Backend, opts: RetryOptions = {}): WrappingBackend {
  return new RetryBackend(inner, Object.freeze({
    retries: opts.retries ?? 5,
    baseDelayMs: opts.baseDelayMs ?? 100,
    sleep: opts.sleep ?? abortableSleep,
    onRetry: opts.onRetry ?? (() => undefined),
  }));
}

/** The delay after failed attempt `attempt` (1-based): base, 2·base, 4·base … capped. */
export function backoffMs(attempt: number, baseDelayMs: number): number {
  return Math.min(baseDelayMs * 2 ** (attempt - 1), MAX_DELAY_MS);
}

class RetryBackend implements WrappingBackend {
  readonly #inner: Backend;
  readonly #settings: Settings;

  constructor(inner: Backend, settings: Settings) {
    this.#inner = inner;
    this.#settings = settings;
  }

  get location(): string {
    return this.#inner.location;
  }

  unwrap(): Backend {
    return this.#inner;
  }

  create(opts?: CallOptions): Promise<void> {
    return this.#retry('create', opts, () => this.#inner.create(opts));
  }

  save(h: Handle, data: Uint8Array | readonly Uint8Array[], opts?: CallOptions): Promise<void> {
    return this.#retry(`save ${label(h)}`, opts, () => this.#inner.save(h, data, opts));
  }

  load(h: Handle, range?: { offset?: number; length?: number }, opts?: CallOptions): Promise<Buffer> {
    return this.#retry(`load ${label(h)}`, opts, () => this.#inner.load(h, range, opts));
  }

  stat(h: Handle, opts?: CallOptions): Promise<FileInfo> {
    return this.#retry(`stat ${label(h)}`, opts, () => this.#inner.stat(h, opts));
  }

  /** A failed listing starts over and skips names already yielded, as restic's retry List does. */
  async *list(type: FileType, opts?: CallOptions): AsyncIterable<FileInfo> {
    const seen = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      try {
        for await (const info of this.#inner.list(type, opts)) {
          if (seen.has(info.name)) continue;
          seen.add(info.name);
          yield info;
        }
        return;
      } catch (err) {
        await this.#backoff(`list ${type}`, attempt, err, opts?.signal);
      }
    }
  }

  remove(h: Handle, opts?: CallOptions): Promise<void> {
    return this.#retry(`remove ${label(h)}`, opts, () => this.#inner.remove(h, opts));
  }

  hasConfig(opts?: CallOptions): Promise<boolean> {
    return this.#retry('look for config', opts, () => this.#inner.hasConfig(opts));
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  async #retry<T>(op: string, opts: CallOptions | undefined, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        await this.#backoff(op, attempt, err, opts?.signal);
      }
    }
  }

  /** Returns when another attempt is worth making; otherwise throws. */
  async #backoff(op: string, attempt: number, err: unknown, signal: AbortSignal | undefined): Promise<void> {
    if (!isHoldfastError(err) || err.permanent) throw err;
    if (attempt > this.#settings.retries) throw withContext(err, `${op}: gave up after ${attempt} attempts`);
    throwIfAborted(signal, op);
    this.#settings.onRetry({ op, attempt, error: err });
    try {
      await this.#settings.sleep(backoffMs(attempt, this.#settings.baseDelayMs), signal);
    } catch (sleepErr) {
      if (signal?.aborted) throw fail('CANCELED', `${op}: canceled while waiting to retry`, { cause: err });
      throw sleepErr;
    }
    throwIfAborted(signal, op);
  }
}

async function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  await delay(ms, undefined, signal === undefined ? undefined : { signal });
}
