/**
 * Each tenant's restic-format repository: created on first use under the
 * data directory with a generated password that is stored encrypted under the
 * master key, and opened for each job. An owner can read the location and
 * password out to use restic directly.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { localBackend } from '../backend/local.js';
import { initRepository, openRepository, openWithKey, type OpenedRepository } from '../repository/open.js';
import { createRepository, type Repository } from '../repository/repository.js';
import { fail, isHoldfastError } from '../common/errors.js';
import type { RepositoryRow } from '../catalog/index.js';
import type { AppContext } from './context.js';
import { newId } from './context.js';
import { decryptSecret, encryptSecret, newRepositoryPassword } from './secrets.js';

export interface RepositoryAccess {
  readonly location: string;
  readonly password: string;
}

/** Calls in flight per server and tenant: the first backups of a new tenant must not each create a repository. */
const inFlight = new WeakMap<AppContext, Map<string, Promise<RepositoryAccess>>>();

/** The tenant's repository location and password, creating the repository on first use. */
export function tenantRepositoryAccess(app: AppContext, tenantId: string): Promise<RepositoryAccess> {
  let calls = inFlight.get(app);
  if (calls === undefined) inFlight.set(app, (calls = new Map()));
  const running = calls.get(tenantId);
  if (running !== undefined) return running;
  const call = ensureRepository(app, tenantId).finally(() => calls.delete(tenantId));
  calls.set(tenantId, call);
  return call;
}

/**
 * The catalog row comes first and is the one truth about the password: a crash
 * after it leaves a row whose repository the next call creates; a crash inside
 * the repository's creation leaves key files without a config, which the next
 * call clears before starting again (no data can exist without the config).
 */
async function ensureRepository(app: AppContext, tenantId: string): Promise<RepositoryAccess> {
  const row = (await app.catalog.repositories.getForTenant(tenantId)) ?? (await createRow(app, tenantId));
  const access = { location: row.location, password: decryptSecret(app.masterKey, row.passwordCiphertext) };
  const backend = localBackend(access.location);
  if (!(await backend.hasConfig())) {
    mkdirSync(access.location, { recursive: true, mode: 0o700 });
    for await (const key of backend.list('key')) await backend.remove({ type: 'key', name: key.name });
    await initRepository(backend, access.password, app.repoEnv);
  }
  return access;
}

async function createRow(app: AppContext, tenantId: string): Promise<RepositoryRow> {
  try {
    return await app.catalog.repositories.create({
      id: newId(app.random, 'repo'), tenantId, location: join(app.dataDir, 'repos', tenantId),
      passwordCiphertext: encryptSecret(app.masterKey, newRepositoryPassword(app.random), app.random),
    });
  } catch (err) {
    // Another server sharing the catalog made it first: use theirs.
    const theirs = isHoldfastError(err, 'ALREADY_EXISTS') ? await app.catalog.repositories.getForTenant(tenantId) : undefined;
    if (theirs === undefined) throw err;
    return theirs;
  }
}

/** Master keys already unlocked per server and tenant: a key derivation (scrypt) per job would cost more than a small backup. */
const unlocked = new WeakMap<AppContext, Map<string, OpenedRepository>>();

export async function openTenantRepository(app: AppContext, tenantId: string): Promise<Repository> {
  const access = await tenantRepositoryAccess(app, tenantId);
  if (!access.location.startsWith('/')) throw fail('UNSUPPORTED_REPOSITORY', 'only local repositories are supported yet');
  let keys = unlocked.get(app);
  if (keys === undefined) unlocked.set(app, (keys = new Map()));
  const backend = localBackend(access.location);
  const known = keys.get(tenantId);
  // A repository made again (its folder was removed) has a new master key: the cached one no longer opens its config.
  const opened = (known === undefined ? undefined : await openWithKey(backend, known).catch(() => undefined)) ?? (await openRepository(backend, access.password));
  keys.set(tenantId, opened);
  return createRepository(opened, app.repoEnv);
}
