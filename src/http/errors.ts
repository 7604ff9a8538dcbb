/**
 * Every error answer of the native API: `{code, message}` with the status the
 * error catalog gives the code. Errors that are not ours never show their
 * message (it could carry anything); they are logged and answered as INTERNAL.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERRORS, isHoldfastError } from '../common/errors.js';

export interface ErrorBody {
  readonly code: string;
  readonly message: string;
}

export function errorAnswer(err: unknown): { status: number; body: ErrorBody } {
  if (isHoldfastError(err)) return { status: err.spec.httpStatus, body: { code: err.code, message: err.message } };
  const fe = err as Partial<FastifyError>;
  if (fe.validation !== undefined) return { status: 400, body: { code: 'INVALID_ARGUMENT', message: fe.message ?? 'invalid request' } };
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, body: { code: 'INVALID_ARGUMENT', message: fe.message ?? 'invalid request' } };
  }
  return { status: ERRORS.INTERNAL.httpStatus, body: { code: 'INTERNAL', message: 'internal error' } };
}

export function errorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = errorAnswer(err);
  if (status >= 500) request.log.error({ err }, 'request failed');
  void reply.status(status).send(body);
}
