/** Bearer-token authentication for the native API. */
import type { FastifyRequest } from 'fastify';
import { fail } from '../../common/errors.js';
import type { AppContext, Principal } from '../../app/context.js';
import { authenticateToken } from '../../app/tenants.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export function bearerAuth(app: AppContext) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    const m = header === undefined ? null : /^Bearer (\S+)$/i.exec(header);
    if (m === null) throw fail('UNAUTHENTICATED', 'a bearer token is required');
    request.principal = await authenticateToken(app, m[1]!);
  };
}

export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw fail('UNAUTHENTICATED', 'a bearer token is required');
  return request.principal;
}
