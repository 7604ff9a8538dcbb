/**
 * Fastify wiring of `Idempotency-Key` (app/idempotency.ts): wraps a create
 * route's handler so that with the header, the answer is kept and replayed
 * (marked `Idempotent-Replayed: true`); without it the handler just runs.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { runIdempotent, type Answer } from '../../app/idempotency.js';
import { principalOf } from './auth.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';

export function idempotent(app: AppContext, handle: (req: FastifyRequest) => Promise<Answer>) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const key = req.headers[IDEMPOTENCY_HEADER];
    if (typeof key !== 'string') {
      const answer = await handle(req);
      return reply.status(answer.status).send(answer.body);
    }
    const request = { route: `${req.method} ${req.routeOptions.url ?? ''}`, params: req.params ?? null, body: req.body ?? null };
    const answer = await runIdempotent(app, principalOf(req), { key, request }, () => handle(req));
    if (answer.replayed) void reply.header('idempotent-replayed', 'true');
    return reply.status(answer.status).type('application/json; charset=utf-8').send(answer.bodyText);
  };
}
