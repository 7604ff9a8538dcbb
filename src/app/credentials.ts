/**
 * A tenant's credentials (DESIGN.md §3): bearer tokens (returned once, stored
 * as a hash), user passwords for HTTP Basic (stored with scrypt) and OCI API
 * public keys (user OCID + fingerprint + PEM, checked against each other).
 * Views of a credential never carry a secret or a hash.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { fail } from '../common/errors.js';
import type { Credential, Role } from '../catalog/index.js';
import type { AppContext, Principal } from './context.js';
import { newId } from './context.js';
import { hashPassword, passwordMatches } from './secrets.js';
import { managedTenant, storeToken, SYSTEM_TENANT_NAME } from './tenants.js';

export type NewCredentialRequest =
  | { readonly kind: 'token'; readonly name?: string; readonly role?: Role }
  | { readonly kind: 'password'; readonly user: string; readonly password: string; readonly role?: Role }
  | { readonly kind: 'api-key'; readonly userOcid: string; readonly fingerprint: string; readonly publicKey: string; readonly role?: Role };

/** What the API shows of a credential: never its secret, hash or lookup id. */
export interface CredentialView {
  readonly id: string;
  readonly tenantId: string;
  readonly kind: Credential['kind'];
  readonly principal: string;
  readonly role: Role;
  readonly createdAt: string;
}

export function credentialView(c: Credential): CredentialView {
  return { id: c.id, tenantId: c.tenantId, kind: c.kind, principal: c.principal, role: c.role, createdAt: c.createdAt };
}

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;
const USER_OCID = /^ocid1\.user\.[a-z0-9-]+\.[a-z0-9.-]*[a-z0-9]$/;
const FINGERPRINT = /^[0-9a-f]{2}(:[0-9a-f]{2}){15}$/;
const MIN_PASSWORD = 8;
const MIN_RSA_BITS = 2048;

/** The fingerprint OCI shows for an API key: MD5 of the DER SubjectPublicKeyInfo, as colon-separated hex pairs. */
export function ociKeyFingerprint(key: KeyObject): string {
  const der = key.export({ type: 'spki', format: 'der' });
  return createHash('md5').update(der).digest('hex').match(/../g)!.join(':');
}

function parseRsaPublicKey(pem: unknown): KeyObject {
  let key: KeyObject;
  if (typeof pem !== 'string') throw fail('INVALID_ARGUMENT', 'publicKey must be a PEM string');
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw fail('INVALID_ARGUMENT', 'publicKey is not a PEM public key');
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < MIN_RSA_BITS) throw fail('INVALID_ARGUMENT', `publicKey must be an RSA key of at least ${MIN_RSA_BITS} bits (as OCI requires)`);
  return key;
}

/** Request fields arrive from several front ends; a missing one must be a 400, never reach the catalog. */
function matches(value: unknown, shape: RegExp): value is string {
  return typeof value === 'string' && shape.test(value);
}

function roleOf(req: { role?: Role }): Role {
  if (req.role !== undefined && req.role !== 'admin' && req.role !== 'member') throw fail('INVALID_ARGUMENT', 'role must be admin or member');
  return req.role ?? 'member';
}

async function storeApiKey(app: AppContext, tenantId: string, req: Extract<NewCredentialRequest, { kind: 'api-key' }>): Promise<Credential> {
  if (!matches(req.userOcid, USER_OCID)) throw fail('INVALID_ARGUMENT', 'userOcid must be an OCI user OCID (ocid1.user.…)');
  if (!matches(req.fingerprint, FINGERPRINT)) throw fail('INVALID_ARGUMENT', 'fingerprint must be 16 colon-separated lowercase hex pairs');
  const key = parseRsaPublicKey(req.publicKey);
  if (ociKeyFingerprint(key) !== req.fingerprint) throw fail('INVALID_ARGUMENT', 'fingerprint does not match the public key');
  const principal = `${req.userOcid}/${req.fingerprint}`;
  return app.catalog.credentials.create({
    id: newId(app.random, 'cred'), tenantId, kind: 'api-key', principal, lookupId: `api-key:${principal}`, secretHash: null,
    publicKeyPem: key.export({ type: 'spki', format: 'pem' }).toString(), role: roleOf(req),
  });
}

async function storePassword(app: AppContext, tenantId: string, req: Extract<NewCredentialRequest, { kind: 'password' }>): Promise<Credential> {
  if (!matches(req.user, USER_NAME)) throw fail('INVALID_ARGUMENT', 'user must be 1-128 of A-Z a-z 0-9 . _ @ + -');
  if (typeof req.password !== 'string' || req.password.length < MIN_PASSWORD) throw fail('INVALID_ARGUMENT', `password must be at least ${MIN_PASSWORD} characters`);
  const lookupId = `password:${tenantId}:${req.user}`;
  // The unique index would refuse a taken user name too, but only after a costly scrypt.
  if ((await app.catalog.credentials.findByLookupId(lookupId)) !== undefined) throw fail('ALREADY_EXISTS', `user ${req.user} already has a password`);
  return app.catalog.credentials.create({
    id: newId(app.random, 'cred'), tenantId, kind: 'password', principal: req.user, lookupId,
    secretHash: hashPassword(req.password, app.random), publicKeyPem: null, role: roleOf(req),
  });
}

/** Adds a credential to a tenant the caller manages; a token is in the answer this once and never again. */
export async function createCredential(app: AppContext, who: Principal, tenantId: string, req: NewCredentialRequest): Promise<CredentialView & { token?: string }> {
  const tenant = await managedTenant(app, who, tenantId);
  if (req.kind === 'password') return credentialView(await storePassword(app, tenant.id, req));
  if (req.kind === 'api-key') return credentialView(await storeApiKey(app, tenant.id, req));
  if (req.kind !== 'token') throw fail('INVALID_ARGUMENT', 'kind must be token, password or api-key');
  const name = req.name ?? 'token';
  if (!matches(name, USER_NAME)) throw fail('INVALID_ARGUMENT', 'name must be 1-128 of A-Z a-z 0-9 . _ @ + -');
  const issued = await storeToken(app, tenant.id, name, roleOf(req));
  return { ...credentialView(issued.credential), token: issued.token };
}

export async function listCredentials(app: AppContext, who: Principal, tenantId: string): Promise<CredentialView[]> {
  const tenant = await managedTenant(app, who, tenantId);
  return (await app.catalog.credentials.listForTenant(tenant.id)).map(credentialView);
}

/** Deletes a credential; the last admin credential of the default tenant stays, or no one could administer the server. */
export async function deleteCredential(app: AppContext, who: Principal, tenantId: string, credentialId: string): Promise<void> {
  const tenant = await managedTenant(app, who, tenantId);
  const cred = await app.catalog.credentials.get(tenant.id, credentialId);
  if (cred === undefined) throw fail('NOT_FOUND', `no credential ${credentialId}`);
  if (tenant.name === SYSTEM_TENANT_NAME && cred.role === 'admin') {
    const admins = (await app.catalog.credentials.listForTenant(tenant.id)).filter((c) => c.role === 'admin');
    if (admins.length <= 1) throw fail('CONFLICT', 'this is the last admin credential of the default tenant');
  }
  await app.catalog.credentials.delete(cred.id);
}

/** How long a password that matched is taken as matching without scrypt again (clients poll job URLs every few seconds). */
const VERIFIED_TTL_MS = 5 * 60 * 1000;
const VERIFIED_MAX = 10_000;
/** Per server: SHA-256(credential, its hash, password) → until when it stays verified. Only digests are kept. */
const verified = new WeakMap<AppContext, Map<string, number>>();

async function passwordVerified(app: AppContext, cred: Credential & { secretHash: string }, password: string): Promise<boolean> {
  let seen = verified.get(app);
  if (seen === undefined) verified.set(app, (seen = new Map()));
  const key = createHash('sha256').update(`${cred.id}\0${cred.secretHash}\0${password}`).digest('hex');
  const nowMs = Number(app.clock.nowNs() / 1_000_000n);
  if ((seen.get(key) ?? 0) > nowMs) return true;
  if (!(await passwordMatches(password, cred.secretHash))) return false;
  if (seen.size >= VERIFIED_MAX) seen.clear();
  seen.set(key, nowMs + VERIFIED_TTL_MS);
  return true;
}

/** HTTP Basic for the dialects that use it: the user's password credential in the given tenant, else UNAUTHENTICATED. */
export async function authenticatePassword(app: AppContext, tenantId: string, user: string, password: string): Promise<Principal> {
  const cred = await app.catalog.credentials.findByLookupId(`password:${tenantId}:${user}`);
  if (cred === undefined || cred.kind !== 'password' || cred.secretHash === null || !(await passwordVerified(app, { ...cred, secretHash: cred.secretHash }, password))) {
    throw fail('UNAUTHENTICATED', 'the user name or password is not valid');
  }
  return { tenantId: cred.tenantId, role: cred.role, credentialId: cred.id };
}

/**
 * The OCI API key a request signature names (`<tenancy>/<user>/<fingerprint>`),
 * for the OCI dialect to verify with; undefined unless the key is registered
 * and its tenant has that tenancy OCID among its aliases.
 */
export async function apiKeyFor(app: AppContext, tenancyOcid: string, userOcid: string, fingerprint: string): Promise<{ principal: Principal; publicKeyPem: string } | undefined> {
  const cred = await app.catalog.credentials.findByLookupId(`api-key:${userOcid}/${fingerprint}`);
  if (cred === undefined || cred.kind !== 'api-key' || cred.publicKeyPem === null) return undefined;
  const tenant = await app.catalog.tenants.get(cred.tenantId);
  if (tenant === undefined || !(tenant.aliases['ociTenancy'] ?? []).includes(tenancyOcid)) return undefined;
  return { principal: { tenantId: cred.tenantId, role: cred.role, credentialId: cred.id }, publicKeyPem: cred.publicKeyPem };
}
