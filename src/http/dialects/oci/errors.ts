/**
 * OCI's error answers (oci.md §1.7): `{code, message}` with OCI's code for
 * the status, and `opc-request-id`. Catalog errors map by code; a
 * dialect-specific code (e.g. MissingParameter) travels in the error's
 * `data.ociCode`. Errors that are not ours never show their message. Fastify's
 * own 4xx keep their status when OCI uses it, else become 400.
 */
import { randomBytes } from 'node:crypto';
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
  NO_SPACE: [503, 'ServiceUnavailable'],
  CANCELED: [409, 'Conflict'],
};

/** OCI's code for a 4xx that Fastify itself raised (body too large, no route), by status; a status OCI never answers is a 400. */
const BY_STATUS: Readonly<Record<number, string>> = {
  400: 'InvalidParameter', 404: 'NotFound', 405: 'MethodNotAllowed', 413: 'PayloadTooLarge', 431: 'RequestHeaderFieldsTooLarge',
};

/** Fastify errors that say more than their status: an unreadable body or a path that cannot name anything. */
const BY_FASTIFY_CODE: Readonly<Record<string, readonly [number, string, string?]>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [400, 'CannotParseRequest'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'CannotParseRequest'],
  // Fastify's own messages for these quote the whole path back.
  FST_ERR_BAD_URL: [400, 'InvalidParameter', 'The request path has an invalid percent-encoding.'],
  FST_ERR_MAX_PARAM_LENGTH: [400, 'InvalidParameter', 'A path parameter is too long to be an OCID.'],
};

function fastifyAnswer(fe: Partial<FastifyError>, status: number): OciErrorAnswer {
  const [s, code, message] = BY_FASTIFY_CODE[fe.code ?? ''] ?? (BY_STATUS[status] === undefined ? [400, 'InvalidParameter'] : [status, BY_STATUS[status]!]);
  return { status: s, body: { code, message: message ?? fe.message ?? 'invalid request' } };
}

export function ociErrorAnswer(err: unknown): OciErrorAnswer {
  if (isHoldfastError(err)) {
    const [status, code] = BY_CATALOG_CODE[err.code] ?? [500, 'InternalServerError'];
    const ociCode = typeof err.data['ociCode'] === 'string' ? err.data['ociCode'] : code;
    // Our own messages name no secret (errors.ts); only INTERNAL ones may carry something unexpected.
    return { status, body: { code: ociCode, message: err.code === 'INTERNAL' ? 'Internal error.' : err.message } };
  }
  const fe = err as Partial<FastifyError>;
  if (fe.validation !== undefined) return { status: 400, body: { code: 'InvalidParameter', message: fe.message ?? 'invalid request' } };
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) return fastifyAnswer(fe, fe.statusCode);
  return { status: 500, body: { code: 'InternalServerError', message: 'Internal error.' } };
}

/** The request's id: the caller's own `opc-request-id` (when printable and short) with ours appended, as OCI does. */
export function ociRequestId(request: FastifyRequest): string {
  const given = request.headers['opc-request-id'];
  const own = randomBytes(16).toString('hex').toUpperCase();
  return typeof given === 'string' && /^[\x21-\x7e]{1,98}$/.test(given) ? `${given}/${own}` : own;
}

/** Errors Fastify raises before any hook runs (undecodable path, over-long path parameter): the OCI answer, request id included. */
export function ociFrameworkError(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  void reply.header('opc-request-id', ociRequestId(request));
  ociErrorHandler(err, request, reply);
}

/**
 * The raw HTTP answer to an OCI request Node could not even parse (a request
 * head over its 16 KiB limit, malformed HTTP): no route or hook ever sees it.
 */
export function ociUnparsableRequestAnswer(nodeErrorCode: string | undefined): string {
  const [status, reason, body] = nodeErrorCode === 'HPE_HEADER_OVERFLOW'
    ? [431, 'Request Header Fields Too Large', { code: 'RequestHeaderFieldsTooLarge', message: 'The request line and headers are larger than the server accepts.' }]
    : [400, 'Bad Request', { code: 'CannotParseRequest', message: 'The request is not valid HTTP.' }];
  const text = JSON.stringify(body);
  return `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n`
    + `opc-request-id: ${randomBytes(16).toString('hex').toUpperCase()}\r\nconnection: close\r\n\r\n${text}`;
}

export function ociErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = ociErrorAnswer(err);
  if (status >= 500) request.log.error({ err }, 'request failed');
  void reply.status(status).type('application/json').send(body);
}
