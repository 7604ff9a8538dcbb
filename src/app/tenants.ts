/**
 * Tenants and their credentials. On a first start with no configuration the
 * server creates a default tenant and one admin token, shown once.
 */
import { fail } from '../common/errors.js';
import type { AppContext, Principal } from './context.js';
import { newId } from './context.js';
import { issueToken, splitToken, tokenMatches } from './secrets.js';

export async function ensureDefaultTenant(app: AppContext): Promise<{ tenantId: string; adminToken?: string }> {
  const existing = await app.catalog.tenants.getByName('default');
  if (existing !== undefined) return { tenantId: existing.id };
  const tenantId = newId(app.random, 'ten');
  await app.catalog.tenants.create({ id: tenantId, name: 'default', aliases: {} });
  const adminToken = await createToken(app, tenantId, 'admin', 'admin');
  return { tenantId, adminToken };
}

/** Issues a bearer token for a principal of a tenant; the token is returned once and stored hashed. */
export async function createToken(app: AppContext, tenantId: string, principal: string, role: 'admin' | 'member'): Promise<string> {
  const issued = issueToken(app.random);
  await app.catalog.credentials.create({
    id: newId(app.random, 'cred'), tenantId, kind: 'token', principal, lookupId: issued.lookupId, secretHash: issued.hash,
    publicKeyPem: null, role,
  });
  return issued.token;
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
