/**
 * Each tenant's restic-format repositories: created on first use under a data
 * directory with a generated password that is stored encrypted under the
 * master key, and opened for each job. An owner can read the location and
 * password out to use restic directly.
 *
 * Regions (docs/decisions.md "Regions"): the home region is `dataDir`; every
 * other configured region is another data directory where the tenant's
 * repository lives at `<region dir>/repos/<tenant id>` and opens with the same
 * password as the home one, so the one catalog row serves them all.
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

/** The home region's name when the server names none. */
export const DEFAULT_REGION = 'local';

export function homeRegion(app: AppContext): string {
  return app.region ?? DEFAULT_REGION;
}

/** Every region a backup can live in: the home one first, then the configured others. */
export function knownRegions(app: AppContext): string[] {
  const home = homeRegion(app);
  return [home, ...Object.keys(app.regions ?? {}).filter((r) => r !== home)];
}

/** Whether a region name is the home one or a configured other (INVALID_ARGUMENT otherwise). */
export function checkRegion(app: AppContext, region: string): void {
  if (!knownRegions(app).includes(region)) {
    throw fail('INVALID_ARGUMENT', `unknown region ${JSON.stringify(region.slice(0, 100))}; known regions: ${knownRegions(app).join(', ')}`);
  }
}

/** The region a backup lives in: `extra.region`, absent for the home region. */
export function backupRegion(app: AppContext, backup: { readonly extra: Readonly<Record<string, unknown>> }): string {
  const region = backup.extra['region'];
  return typeof region === 'string' ? region : homeRegion(app);
}

/** The data directory of another region; undefined for the home region. */
function otherRegionDir(app: AppContext, region: string): string | undefined {
  if (region === homeRegion(app)) return undefined;
  checkRegion(app, region);
  return app.regions![region]!;
}

export interface RepositoryAccess {
  readonly location: string;
  readonly password: string;
}

/** Calls in flight per server, tenant and region: the first backups of a new tenant must not each create a repository. */
const inFlight = new WeakMap<AppContext, Map<string, Promise<RepositoryAccess>>>();

/** Cache key of a tenant's repository in a region; a NUL cannot occur in either name. */
function repoKey(tenantId: string, region: string): string {
  return `${tenantId}\0${region}`;
}

/**
 * The tenant's repository location and password in a region (the home one when
 * absent), creating the repository on first use. An unknown region is INVALID_ARGUMENT.
 */
export async function tenantRepositoryAccess(app: AppContext, tenantId: string, region?: string): Promise<RepositoryAccess> {
  const name = region ?? homeRegion(app);
  const regionDir = otherRegionDir(app, name);
  let calls = inFlight.get(app);
  if (calls === undefined) inFlight.set(app, (calls = new Map()));
  const key = repoKey(tenantId, name);
  const running = calls.get(key);
  if (running !== undefined) return running;
  const call = ensureRepository(app, tenantId, regionDir).finally(() => calls.delete(key));
  calls.set(key, call);
  return call;
}

/**
 * The catalog row comes first and is the one truth about the password: a crash
 * after it leaves a row whose repository the next call creates; a crash inside
 * the repository's creation leaves key files without a config, which the next
 * call clears before starting again (no data can exist without the config).
 */
async function ensureRepository(app: AppContext, tenantId: string, regionDir: string | undefined): Promise<RepositoryAccess> {
  const row = (await app.catalog.repositories.getForTenant(tenantId)) ?? (await createRow(app, tenantId));
  const location = regionDir === undefined ? row.location : join(regionDir, 'repos', tenantId);
  const access = { location, password: decryptSecret(app.masterKey, row.passwordCiphertext) };
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

/** Master keys already unlocked per server, tenant and region: a key derivation (scrypt) per job would cost more than a small backup. */
const unlocked = new WeakMap<AppContext, Map<string, OpenedRepository>>();

/** Opens the tenant's repository in a region (the home one when absent); an unknown region is INVALID_ARGUMENT. */
export async function openTenantRepository(app: AppContext, tenantId: string, region?: string): Promise<Repository> {
  const name = region ?? homeRegion(app);
  const access = await tenantRepositoryAccess(app, tenantId, name);
  if (!access.location.startsWith('/')) throw fail('UNSUPPORTED_REPOSITORY', 'only local repositories are supported yet');
  let keys = unlocked.get(app);
  if (keys === undefined) unlocked.set(app, (keys = new Map()));
  const backend = localBackend(access.location);
  const key = repoKey(tenantId, name);
  const known = keys.get(key);
  // A repository made again (its folder was removed) has a new master key: the cached one no longer opens its config.
  const opened = (known === undefined ? undefined : await openWithKey(backend, known).catch(() => undefined)) ?? (await openRepository(backend, access.password));
  keys.set(key, opened);
  return createRepository(opened, app.repoEnv);
}
