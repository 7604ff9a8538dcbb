/**
 * restic-compatible repository locks (design.rst "Locks"): write our lock,
 * wait, re-check for conflicts; refresh every 5 minutes; a lock older than
 * 30 minutes, or held by a dead process on this host, is stale. A lock whose
 * holder is provably gone (same host, pid not running) is removed on sight;
 * other stale locks still block, as in restic, and are reported with the way out.
 */
import { fail, isHoldfastError } from '../common/errors.js';
import { sleep } from '../common/concurrency.js';
import type { Id } from '../common/ids.js';
import { encodeLock, parseLock, type LockRecord } from '../format/lockfile.js';
import { formatGoTime } from '../format/gotime.js';
import type { Repository } from './repository.js';

const STALE_AFTER_NS = 30n * 60n * 1_000_000_000n;
const REFRESH_EVERY_MS = 5 * 60 * 1000;
const RECHECK_DELAY_MS = 200;

export interface RepositoryLock {
  readonly exclusive: boolean;
  release(): Promise<void>;
}

export interface LockOptions {
  readonly exclusive: boolean;
  readonly recheckDelayMs?: number;
}

export interface ExistingLock {
  readonly id: Id;
  readonly lock: LockRecord;
  readonly stale: boolean;
}

export async function acquireLock(repo: Repository, opts: LockOptions): Promise<RepositoryLock> {
  await throwOnConflict(repo, opts.exclusive, undefined);
  let id = await writeLock(repo, opts.exclusive);
  await sleep(opts.recheckDelayMs ?? RECHECK_DELAY_MS);
  try {
    await throwOnConflict(repo, opts.exclusive, id);
  } catch (err) {
    await repo.backend.remove({ type: 'lock', name: id });
    throw err;
  }
  const timer = setInterval(() => { void refresh(); }, REFRESH_EVERY_MS);
  timer.unref();
  const refresh = async (): Promise<void> => {
    const old = id;
    id = await writeLock(repo, opts.exclusive);
    await repo.backend.remove({ type: 'lock', name: old });
  };
  return {
    exclusive: opts.exclusive,
    async release() {
      clearInterval(timer);
      await repo.backend.remove({ type: 'lock', name: id });
    },
  };
}

export async function listLocks(repo: Repository): Promise<ExistingLock[]> {
  const locks: ExistingLock[] = [];
  for (const id of await repo.listIds('lock')) {
    const lock = await loadLockOrUndefined(repo, id);
    if (lock !== undefined) locks.push({ id, lock, stale: isStale(repo, lock) });
  }
  return locks;
}

/** Removes stale locks (or all locks with `all`); returns how many were removed. */
export async function removeLocks(repo: Repository, all: boolean): Promise<number> {
  let removed = 0;
  for (const l of await listLocks(repo)) {
    if (!all && !l.stale) continue;
    await repo.backend.remove({ type: 'lock', name: l.id });
    removed++;
  }
  return removed;
}

/** Removes only the locks of processes that provably no longer run (this host, pid gone): safe to do unasked. */
export async function removeDeadLocalLocks(repo: Repository): Promise<number> {
  let removed = 0;
  for (const l of await listLocks(repo)) {
    if (!heldByDeadLocalProcess(repo, l.lock)) continue;
    await repo.backend.remove({ type: 'lock', name: l.id });
    removed++;
  }
  return removed;
}

export function isStale(repo: Repository, lock: LockRecord): boolean {
  return repo.env.clock.nowNs() - lock.time > STALE_AFTER_NS || heldByDeadLocalProcess(repo, lock);
}

function heldByDeadLocalProcess(repo: Repository, lock: LockRecord): boolean {
  return lock.hostname === repo.env.hostname && lock.pid !== repo.env.pid && !repo.env.isProcessAlive(lock.pid);
}

async function throwOnConflict(repo: Repository, exclusive: boolean, ownId: Id | undefined): Promise<void> {
  for (const l of await listLocks(repo)) {
    if (l.id === ownId || !(exclusive || l.lock.exclusive)) continue;
    if (heldByDeadLocalProcess(repo, l.lock)) {
      // The holder provably no longer runs (killed or crashed on this host): its lock protects nothing.
      await repo.backend.remove({ type: 'lock', name: l.id });
      continue;
    }
    const kind = l.lock.exclusive ? 'an exclusive' : 'a';
    const who = `${l.lock.username}@${l.lock.hostname} (pid ${l.lock.pid}) since ${formatGoTime(l.lock.time)}`;
    const hint = l.stale ? '; the lock is stale, remove it with `holdfast repo unlock`' : '';
    throw fail('REPOSITORY_LOCKED', `repository is already locked: ${kind} lock by ${who}${hint}`, { data: { lock: l.id, stale: l.stale } });
  }
}

async function writeLock(repo: Repository, exclusive: boolean): Promise<Id> {
  const env = repo.env;
  const record: LockRecord = { time: env.clock.nowNs(), exclusive, hostname: env.hostname, username: env.username, pid: env.pid };
  return repo.unpacked.save('lock', encodeLock(record));
}

/** Like restic 0.14, a lock file that vanished or cannot be read does not block. */
async function loadLockOrUndefined(repo: Repository, id: Id): Promise<LockRecord | undefined> {
  try {
    return parseLock(await repo.unpacked.load('lock', id));
  } catch (err) {
    if (isHoldfastError(err, 'NOT_FOUND') || isHoldfastError(err, 'INVALID_DATA')) return undefined;
    throw err;
  }
}

/** Runs fn under a lock and always releases it. */
export async function withLock<T>(repo: Repository, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(repo, opts);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
