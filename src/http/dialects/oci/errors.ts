/**
 * OCI's error answers (oci.md §1.7): `{code, message}` with OCI's code for
 * the status. Catalog errors map by code; a dialect-specific code (e.g.
 * MissingParameter) travels in the error's `data.ociCode`. Errors that are
 * not ours never show their message.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isHoldfastError, type ErrorCode } from '../../../common/errors.js';

export interface OciErrorAnswer {
  readonly status: number;
  readonly body: { readonly code: string; readonly message: string };
}

const BY_CATALOG_CODE: Partial<Record<ErrorCode, readonly [number, string]>> = {
  INVALID_ARGUMENT: [400, 'InvalidParameter'],
  AMBIGUOUS_ID: [400, 'InvalidParameter'],
  UNAUTHENTICATED: [401, 'NotAuthenticated'],
  FORBIDDEN: [404, 'NotAuthorizedOrNotFound'],
  NOT_FOUND: [404, 'NotAuthorizedOrNotFound'],
  REPOSITORY_NOT_FOUND: [404, 'NotAuthorizedOrNotFound'],
  CONFLICT: [409, 'IncorrectState'],
  REPOSITORY_LOCKED: [409, 'IncorrectState'],
  ALREADY_EXISTS: [409, 'Conflict'],
  IDEMPOTENCY_MISMATCH: [409, 'InvalidatedRetryToken'],
  PRECONDITION_FAILED: [412, 'NoEtagMatch'],
  BACKEND_IO: [503, 'ServiceUnavailable'],
};

/** OCI's code for a 4xx that Fastify itself raised (body too large, bad content type, no route). */
const BY_STATUS: Readonly<Record<number, string>> = {
  400: 'InvalidParameter', 404: 'NotFound', 405: 'MethodNotAllowed', 413: 'PayloadTooLarge', 415: 'InvalidParameter', 431: 'RequestHeaderFieldsTooLarge',
};

export function ociErrorAnswer(err: unknown): OciErrorAnswer {
  if (isHoldfastError(err)) {
    const [status, code] = BY_CATALOG_CODE[err.code] ?? [500, 'InternalServerError'];
    const ociCode = typeof err.data['ociCode'] === 'string' ? err.data['ociCode'] : code;
    return { status, body: { code: ociCode, message: status >= 500 ? 'Internal error.' : err.message } };
  }
  const fe = err as Partial<FastifyError>;
  if (fe.validation !== undefined) return { status: 400, body: { code: 'InvalidParameter', message: fe.message ?? 'invalid request' } };
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, body: { code: BY_STATUS[fe.statusCode] ?? 'InvalidParameter', message: fe.message ?? 'invalid request' } };
  }
  return { status: 500, body: { code: 'InternalServerError', message: 'Internal error.' } };
}

export function ociErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = ociErrorAnswer(err);
  if (status >= 500) request.log.error({ err }, 'request failed');
  void reply.status(status).type('application/json').send(body);
}
