/**
 * Tenants, their dialect aliases and who may manage them. On a first start
 * with no configuration the server creates the `default` tenant and one admin
 * token, shown once.
 *
 * Roles: the *system admin* is any admin-role principal of the tenant named
 * `default`; only it creates, lists, changes and deletes tenants. An admin of
 * any other tenant manages that tenant's credentials and reads its
 * repository's password; a member does neither.
 */
import { rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fail } from '../common/errors.js';
import type { Credential, Tenant } from '../catalog/index.js';
import type { AppContext, Principal } from './context.js';
import { newId } from './context.js';
import { tenantRepositoryAccess, type RepositoryAccess } from './repositories.js';
import { issueToken, splitToken, tokenMatches } from './secrets.js';

/** The tenant whose admins are system admins. */
export const SYSTEM_TENANT_NAME = 'default';

/**
 * The dialect alias kinds a tenant may carry (DESIGN.md §3) and the shape of a value:
 * an Oracle identity domain name or `idcs-…` id, OCI tenancy and compartment OCIDs, an OTC project id.
 */
export const TENANT_ALIAS_KINDS: Readonly<Record<string, RegExp>> = Object.freeze({
  identityDomain: /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
  ociTenancy: /^ocid1\.tenancy\.[a-z0-9-]+\.[a-z0-9.-]*[a-z0-9]$/,
  ociCompartment: /^ocid1\.(compartment|tenancy)\.[a-z0-9-]+\.[a-z0-9.-]*[a-z0-9]$/,
  otcProject: /^[0-9a-f]{32}$/,
});

const TENANT_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export async function ensureDefaultTenant(app: AppContext): Promise<{ tenantId: string; adminToken?: string }> {
  const existing = await app.catalog.tenants.getByName(SYSTEM_TENANT_NAME);
  if (existing !== undefined) return { tenantId: existing.id };
  const tenantId = newId(app.random, 'ten');
  await app.catalog.tenants.create({ id: tenantId, name: SYSTEM_TENANT_NAME, aliases: {} });
  const adminToken = await createToken(app, tenantId, 'admin', 'admin');
  return { tenantId, adminToken };
}

/** Issues a bearer token for a principal of a tenant; the token is returned once and stored hashed. */
export async function createToken(app: AppContext, tenantId: string, principal: string, role: 'admin' | 'member'): Promise<string> {
  return (await storeToken(app, tenantId, principal, role)).token;
}

/** Like createToken, answering the stored credential too. */
export async function storeToken(app: AppContext, tenantId: string, principal: string, role: 'admin' | 'member'): Promise<{ credential: Credential; token: string }> {
  const issued = issueToken(app.random);
  const credential = await app.catalog.credentials.create({
    id: newId(app.random, 'cred'), tenantId, kind: 'token', principal, lookupId: issued.lookupId, secretHash: issued.hash, publicKeyPem: null, role,
  });
  return { credential, token: issued.token };
}

/** Resolves a bearer token to its principal; any mismatch is the same UNAUTHENTICATED answer. */
export async function authenticateToken(app: AppContext, token: string): Promise<Principal> {
  const parts = splitToken(token);
  const cred = parts === undefined ? undefined : await app.catalog.credentials.findByLookupId(parts.lookupId);
  if (parts === undefined || cred === undefined || cred.kind !== 'token' || cred.secretHash === null || !tokenMatches(parts.secret, cred.secretHash)) {
    throw fail('UNAUTHENTICATED', 'the bearer token is not valid');
  }
  return { tenantId: cred.tenantId, role: cred.role, credentialId: cred.id };
}

export async function isSystemAdmin(app: AppContext, who: Principal): Promise<boolean> {
  if (who.role !== 'admin') return false;
  return (await app.catalog.tenants.get(who.tenantId))?.name === SYSTEM_TENANT_NAME;
}

export async function requireSystemAdmin(app: AppContext, who: Principal): Promise<void> {
  if (!(await isSystemAdmin(app, who))) throw fail('FORBIDDEN', 'only the system admin (an admin of the default tenant) may manage tenants');
}

export function requireTenantAdmin(who: Principal): void {
  if (who.role !== 'admin') throw fail('FORBIDDEN', 'only an admin of the tenant may do this');
}

/**
 * The tenant an admin may manage: `me` or its own id for a tenant admin, any existing tenant for the system
 * admin. Another tenant's id is NOT_FOUND, exactly as an unknown id, so ids of other tenants leak nothing.
 */
export async function managedTenant(app: AppContext, who: Principal, tenantId: string): Promise<Tenant> {
  requireTenantAdmin(who);
  const id = tenantId === 'me' ? who.tenantId : tenantId;
  const tenant = id === who.tenantId || (await isSystemAdmin(app, who)) ? await app.catalog.tenants.get(id) : undefined;
  if (tenant === undefined) throw fail('NOT_FOUND', `no tenant ${tenantId}`);
  return tenant;
}

/** The caller's own tenant (any role): dialects read its aliases, e.g. its OCI tenancy and compartments. */
export async function ownTenant(app: AppContext, who: Principal): Promise<Tenant> {
  const tenant = await app.catalog.tenants.get(who.tenantId);
  if (tenant === undefined) throw fail('NOT_FOUND', `no tenant ${who.tenantId}`);
  return tenant;
}

export function checkTenantAliases(aliases: Record<string, readonly string[]>): Record<string, string[]> {
  if (typeof aliases !== 'object' || aliases === null || Array.isArray(aliases)) throw fail('INVALID_ARGUMENT', 'aliases must be an object of arrays');
  const checked: Record<string, string[]> = {};
  for (const [kind, values] of Object.entries(aliases)) {
    const shape = TENANT_ALIAS_KINDS[kind];
    if (shape === undefined) throw fail('INVALID_ARGUMENT', `unknown alias kind "${kind}" (known: ${Object.keys(TENANT_ALIAS_KINDS).join(', ')})`);
    if (!Array.isArray(values)) throw fail('INVALID_ARGUMENT', `aliases.${kind} must be an array of strings`);
    const bad = values.find((v) => typeof v !== 'string' || !shape.test(v));
    if (bad !== undefined) throw fail('INVALID_ARGUMENT', `aliases.${kind} has a value of the wrong shape`);
    if (new Set(values).size !== values.length) throw fail('INVALID_ARGUMENT', `aliases.${kind} repeats a value`);
    if (values.length > 0) checked[kind] = [...values];
  }
  return checked;
}

export async function createTenant(app: AppContext, who: Principal, input: { name: string; aliases?: Record<string, string[]> }): Promise<Tenant> {
  await requireSystemAdmin(app, who);
  if (typeof input.name !== 'string' || !TENANT_NAME.test(input.name)) throw fail('INVALID_ARGUMENT', 'a tenant name is 1-63 of a-z 0-9 _ -, starting with a letter or digit');
  return app.catalog.tenants.create({ id: newId(app.random, 'ten'), name: input.name, aliases: checkTenantAliases(input.aliases ?? {}) });
}

export async function listTenants(app: AppContext, who: Principal): Promise<Tenant[]> {
  await requireSystemAdmin(app, who);
  return app.catalog.tenants.list();
}

export async function getTenant(app: AppContext, who: Principal, id: string): Promise<Tenant> {
  await requireSystemAdmin(app, who);
  const tenant = await app.catalog.tenants.get(id);
  if (tenant === undefined) throw fail('NOT_FOUND', `no tenant ${id}`);
  return tenant;
}

export async function setTenantAliases(app: AppContext, who: Principal, id: string, aliases: Record<string, string[]>): Promise<Tenant> {
  await requireSystemAdmin(app, who);
  const updated = await app.catalog.tenants.setAliases(id, checkTenantAliases(aliases));
  if (updated === undefined) throw fail('NOT_FOUND', `no tenant ${id}`);
  return updated;
}

/** Deletes an empty tenant, its credentials and its repository (which holds no live backup by then). */
export async function deleteTenant(app: AppContext, who: Principal, id: string): Promise<void> {
  await requireSystemAdmin(app, who);
  const tenant = await getTenant(app, who, id);
  if (tenant.name === SYSTEM_TENANT_NAME) throw fail('CONFLICT', 'the default tenant holds the system admin and cannot be deleted');
  const repo = await app.catalog.repositories.getForTenant(id);
  const outcome = await app.catalog.tenants.deleteIfEmpty(id);
  if (outcome === 'missing') throw fail('NOT_FOUND', `no tenant ${id}`);
  if (outcome === 'not-empty') throw fail('CONFLICT', `tenant ${id} still has resources, backups or unfinished jobs`);
  if (repo !== undefined && isOwnRepositoryDir(app, repo.location)) await rm(repo.location, { recursive: true, force: true });
}

/** Only a repository Holdfast made under its data directory is removed with its tenant. */
function isOwnRepositoryDir(app: AppContext, location: string): boolean {
  const rel = relative(join(app.dataDir, 'repos'), location);
  return rel !== '' && !rel.startsWith('..') && !rel.includes('/');
}

/** The caller's tenant repository, so its owner can run restic on it directly (made on first use). */
export async function readRepositoryAccess(app: AppContext, who: Principal): Promise<RepositoryAccess & { tenantId: string }> {
  requireTenantAdmin(who);
  return { tenantId: who.tenantId, ...(await tenantRepositoryAccess(app, who.tenantId)) };
}
