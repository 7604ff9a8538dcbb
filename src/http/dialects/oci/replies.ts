/**
 * What every OCI route shares: the caller, the resource answer with its etag,
 * the `if-match` precondition, and `opc-retry-token` idempotency (24 hours,
 * through the core's idempotency keys in their own scope; the same token with
 * another request answers 409 InvalidatedRetryToken).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext, Principal } from '../../../app/context.js';
import { runIdempotent, type Answer } from '../../../app/idempotency.js';
import { fail } from '../../../common/errors.js';
import { etagOf } from './volume-backup-model.js';

export const RETRY_TOKEN_SCOPE = 'oci';

export function callerOf(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw fail('UNAUTHENTICATED', 'The required information to complete authentication was not provided or was incorrect.');
  return request.principal;
}

export function sendModel(reply: FastifyReply, model: unknown, status = 200): FastifyReply {
  return reply.status(status).header('etag', etagOf(model)).send(model);
}

/** Refuses the change when `if-match` names another version than the current one. */
export function checkIfMatch(request: FastifyRequest, currentModel: unknown): void {
  const wanted = request.headers['if-match'];
  if (wanted === undefined || wanted === '*') return;
  if (wanted !== etagOf(currentModel)) throw fail('PRECONDITION_FAILED', 'The resource has changed since the given etag (if-match).');
}

/** Runs a create once per opc-retry-token and answers a retry with the first answer, etag included. */
export async function withRetryToken(app: AppContext, request: FastifyRequest, reply: FastifyReply, work: () => Promise<Answer>): Promise<FastifyReply> {
  const token = request.headers['opc-retry-token'];
  if (typeof token !== 'string') {
    const answer = await work();
    return sendModel(reply, answer.body, answer.status);
  }
  const key = { route: `${request.method} ${request.routeOptions.url ?? ''}`, params: request.params ?? null, body: request.body ?? null };
  const answer = await runIdempotent(app, callerOf(request), { key: token, scope: RETRY_TOKEN_SCOPE, keyName: 'opc-retry-token', request: key }, work);
  return sendModel(reply, JSON.parse(answer.bodyText) as unknown, answer.status);
}
