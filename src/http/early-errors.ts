/**
 * Answers to requests that fail before any route or hook runs, in the format
 * of the dialect they were meant for: a path Fastify cannot decode or whose
 * parameter is over-long (`frameworkErrors`), and requests Node's HTTP parser
 * refuses (`clientErrorHandler`: a request head over the 16 KiB limit,
 * malformed HTTP). An OCI request is recognised by its path — for parser
 * errors by the request line, which arrives first and whole in practice —
 * and gets OCI's answer with an opc-request-id; everything else gets the
 * native error answer, or Fastify's default one for parser errors.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ociFrameworkError, ociUnparsableRequestAnswer } from './dialects/oci/errors.js';
import { OCI_PREFIX } from './dialects/oci/plugin.js';
import { errorHandler } from './errors.js';

const OCI_REQUEST_LINE = new RegExp(`^[A-Z]{1,10} ${OCI_PREFIX}[/? ]`);

function isOciUrl(url: string): boolean {
  return url === OCI_PREFIX || url.startsWith(`${OCI_PREFIX}/`) || url.startsWith(`${OCI_PREFIX}?`);
}

export function frameworkErrors(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  (isOciUrl(request.url) ? ociFrameworkError : errorHandler)(err, request, reply);
}

function fastifyDefaultAnswer(code: string | undefined): string {
  const [status, message] = code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Client Timeout']
    : code === 'HPE_HEADER_OVERFLOW' ? [431, 'Exceeded maximum allowed HTTP header size'] : [400, 'Client Error'];
  const body = JSON.stringify({ error: STATUS_CODES[status], message, statusCode: status });
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${body.length}\r\nContent-Type: application/json\r\n\r\n${body}`;
}

export function clientErrorHandler(err: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const head = Buffer.isBuffer(err.rawPacket) ? err.rawPacket.subarray(0, 64).toString('latin1') : '';
  const oci = err.code !== 'ERR_HTTP_REQUEST_TIMEOUT' && OCI_REQUEST_LINE.test(head);
  if (socket.writable) socket.write(oci ? ociUnparsableRequestAnswer(err.code) : fastifyDefaultAnswer(err.code));
  socket.destroy(err);
}
