/**
 * Oracle PaaS error answers. Oracle documents no error body (paas-otc.md
 * §1.6: clients keep or print whatever comes); we answer the shape its
 * asynchronous answers use, `{"status":"Failed","details":{"message":…}}`,
 * with the status the error calls for. Errors that are not ours never show
 * their message; a busy instance's message names no internal job id.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isHoldfastError, type ErrorCode } from '../../../common/errors.js';

export interface PaasErrorAnswer {
  readonly status: number;
  readonly body: { readonly status: 'Failed'; readonly details: { readonly message: string } };
}

const STATUS_OF: Partial<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: 400, AMBIGUOUS_ID: 400, UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404, REPOSITORY_NOT_FOUND: 404,
  CONFLICT: 409, ALREADY_EXISTS: 409, REPOSITORY_LOCKED: 409, BACKEND_IO: 503,
};

const BUSY = 'Another operation is in progress on this service instance; retry when it has completed.';

function answer(status: number, message: string): PaasErrorAnswer {
  return { status, body: { status: 'Failed', details: { message } } };
}

export function paasErrorAnswer(err: unknown): PaasErrorAnswer {
  if (isHoldfastError(err)) {
    const status = STATUS_OF[err.code] ?? 500;
    if (status >= 500) return answer(status, status === 503 ? 'The service is temporarily unavailable.' : 'Internal error.');
    return answer(status, err.code === 'CONFLICT' && err.data['jobId'] !== undefined ? BUSY : err.message);
  }
  const fe = err as Partial<FastifyError>;
  if (fe.validation !== undefined) return answer(400, `Invalid request: ${fe.message ?? 'the body does not match'}.`);
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) return answer(fe.statusCode, fe.message ?? 'Invalid request.');
  return answer(500, 'Internal error.');
}

export function paasErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = paasErrorAnswer(err);
  if (status >= 500) request.log.error({ err }, 'request failed');
  if (status === 401) void reply.header('www-authenticate', 'Basic realm="Oracle PaaS"');
  void reply.status(status).type('application/json').send(body);
}
