/**
 * What the Oracle PaaS routes share in their answers: the public base URL of
 * absolute links (AppContext.publicBaseUrl, else the request's protocol and
 * Host), the paths of the two APIs, and the 202 answer of an asynchronous
 * request (Location of its job, `Retry-After: 60`).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../app/context.js';

export const PAAS_PREFIX = '/paas';
export const RETRY_AFTER_SECONDS = '60';

/** A Host header we echo into links: a name or IPv4/IPv6 literal and an optional port, nothing else. */
const HOST = /^([A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$/;

export function baseUrlOf(app: AppContext, request: FastifyRequest): string {
  if (app.publicBaseUrl !== undefined) return app.publicBaseUrl.replace(/\/+$/, '');
  const host = request.headers.host;
  return `${request.protocol}://${host !== undefined && HOST.test(host) ? host : 'localhost'}`;
}

const seg = encodeURIComponent;

/** `/paas/api/v1.1/instancemgmt/{dom}/services/dbaas/instances/{svc}` */
export function instancemgmtPath(domain: string, service: string): string {
  return `${PAAS_PREFIX}/api/v1.1/instancemgmt/${seg(domain)}/services/dbaas/instances/${seg(service)}`;
}

/** `/paas/api/v1.1/activitylog/{dom}/job/{n}` */
export function activityLogPath(domain: string, jobNumber: string): string {
  return `${PAAS_PREFIX}/api/v1.1/activitylog/${seg(domain)}/job/${jobNumber}`;
}

/** `/paas/service/dbcs/api/v1.1/instances/{dom}` */
export function dbcsPath(domain: string): string {
  return `${PAAS_PREFIX}/service/dbcs/api/v1.1/instances/${seg(domain)}`;
}

export function dbcsServicePath(domain: string, service: string): string {
  return `${dbcsPath(domain)}/${seg(service)}`;
}

/** `…/instances/{dom}/status/{requestName}/job/{n}` */
export function dbcsJobPath(domain: string, requestName: string, jobNumber: string): string {
  return `${dbcsPath(domain)}/status/${requestName}/job/${jobNumber}`;
}

/** 202 Accepted pointing at the job; `body` undefined sends an empty body, as the DBCS API does. */
export function sendAccepted(reply: FastifyReply, location: string, body?: unknown, headers: Record<string, string> = {}): FastifyReply {
  void reply.status(202).header('location', location).header('retry-after', RETRY_AFTER_SECONDS).headers(headers);
  return body === undefined ? reply.send() : reply.send(body);
}
