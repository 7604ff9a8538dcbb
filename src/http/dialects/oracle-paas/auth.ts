/**
 * Authentication of Oracle PaaS requests (paas-otc.md §1.1): HTTP Basic with
 * a user of the tenant whose identity domain (alias kind `identityDomain`: a
 * traditional domain name or an `idcs-…` id) the path names, and the
 * X-ID-TENANT-NAME header naming that same domain. Every failure is the same
 * 401, so an answer tells nothing about which part was wrong.
 */
import type { FastifyRequest } from 'fastify';
import type { AppContext, Principal } from '../../../app/context.js';
import { authenticatePassword } from '../../../app/credentials.js';
import { fail, isHoldfastError } from '../../../common/errors.js';

export interface PaasCaller {
  readonly principal: Principal;
  /** The identity domain of the path, as the caller spelled it (used in answers). */
  readonly domain: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    paasCaller?: PaasCaller;
  }
}

const REFUSED = 'Authentication failed: give the user name and password of a user of this identity domain (HTTP Basic) and the domain in X-ID-TENANT-NAME.';

function basicCredentials(header: string | undefined): { user: string; password: string } {
  const m = header === undefined ? null : /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
  const decoded = m === null ? '' : Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw fail('UNAUTHENTICATED', REFUSED);
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export async function authenticatePaas(app: AppContext, request: FastifyRequest): Promise<PaasCaller> {
  const domain = (request.params as { identityDomainId?: string }).identityDomainId;
  if (domain === undefined || request.headers['x-id-tenant-name'] !== domain) throw fail('UNAUTHENTICATED', REFUSED);
  const { user, password } = basicCredentials(request.headers.authorization);
  const tenant = await app.catalog.tenants.findByAlias('identityDomain', domain);
  if (tenant === undefined) throw fail('UNAUTHENTICATED', REFUSED);
  try {
    return { principal: await authenticatePassword(app, tenant.id, user, password), domain };
  } catch (err) {
    throw isHoldfastError(err, 'UNAUTHENTICATED') ? fail('UNAUTHENTICATED', REFUSED) : err;
  }
}

export function callerOf(request: FastifyRequest): PaasCaller {
  if (request.paasCaller === undefined) throw fail('UNAUTHENTICATED', REFUSED);
  return request.paasCaller;
}
