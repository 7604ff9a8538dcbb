/**
 * Each tenant's restic-format repository: created on first use under the
 * data directory with a generated password that is stored encrypted under the
 * master key, and opened for each job. An owner can read the location and
 * password out to use restic directly.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { localBackend } from '../backend/local.js';
import { initRepository, openRepository } from '../repository/open.js';
import { createRepository, type Repository } from '../repository/repository.js';
import { fail } from '../common/errors.js';
import type { AppContext } from './context.js';
import { newId } from './context.js';
import { decryptSecret, encryptSecret, newRepositoryPassword } from './secrets.js';

export interface RepositoryAccess {
  readonly location: string;
  readonly password: string;
}

/** The tenant's repository location and password, creating the repository on first use. */
export async function tenantRepositoryAccess(app: AppContext, tenantId: string): Promise<RepositoryAccess> {
  const row = await app.catalog.repositories.getForTenant(tenantId);
  if (row !== undefined) return { location: row.location, password: decryptSecret(app.masterKey, row.passwordCiphertext) };
  const location = join(app.dataDir, 'repos', tenantId);
  const password = newRepositoryPassword(app.random);
  mkdirSync(location, { recursive: true, mode: 0o700 });
  await initRepository(localBackend(location), password, app.repoEnv);
  await app.catalog.repositories.create({
    id: newId(app.random, 'repo'), tenantId, location, passwordCiphertext: encryptSecret(app.masterKey, password, app.random),
  });
  return { location, password };
}

export async function openTenantRepository(app: AppContext, tenantId: string): Promise<Repository> {
  const access = await tenantRepositoryAccess(app, tenantId);
  if (!access.location.startsWith('/')) throw fail('UNSUPPORTED_REPOSITORY', 'only local repositories are supported yet');
  return createRepository(await openRepository(localBackend(access.location), access.password), app.repoEnv);
}
