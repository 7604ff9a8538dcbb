/**
 * Authentication of OCI requests: the signature's keyId names an API key
 * registered for a user of a tenant whose tenancy OCID it also names; the
 * signature must verify with that key (signature.ts). Token principals
 * (`ST$…` session and instance tokens) are not supported. Signatures are not
 * remembered to refuse replays: the SDK signs with a one-second `x-date` and
 * leaves `opc-retry-token` unsigned, so two honest identical calls within a
 * second carry the same signature (docs/decisions.md).
 */
import type { FastifyRequest } from 'fastify';
import type { AppContext, Principal } from '../../../app/context.js';
import { apiKeyFor } from '../../../app/credentials.js';
import { fail } from '../../../common/errors.js';
import { parseAuthorization, verifySignature } from './signature.js';

const UNKNOWN_KEY = 'The required information to complete authentication was not provided or was incorrect: unknown key.';

export async function authenticateOci(app: AppContext, request: FastifyRequest): Promise<Principal> {
  const params = parseAuthorization(request.headers.authorization);
  if (params.keyId.startsWith('ST$')) throw fail('UNAUTHENTICATED', 'The required information to complete authentication was not provided or was incorrect: security-token (ST$) principals are not supported.');
  const parts = params.keyId.split('/');
  if (parts.length !== 3 || parts.some((p) => p === '')) throw fail('UNAUTHENTICATED', UNKNOWN_KEY);
  const [tenancy, user, fingerprint] = parts as [string, string, string];
  const key = await apiKeyFor(app, tenancy, user, fingerprint);
  if (key === undefined) throw fail('UNAUTHENTICATED', UNKNOWN_KEY);
  const nowMs = Number(app.clock.nowNs() / 1_000_000n);
  verifySignature(params, { method: request.method, url: request.raw.url ?? request.url, headers: request.headers, body: request.rawBody ?? Buffer.alloc(0) }, key.publicKeyPem, nowMs);
  return key.principal;
}
