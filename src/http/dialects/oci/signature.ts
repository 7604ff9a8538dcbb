/**
 * OCI request signatures (draft-cavage-http-signatures, "version 1"; oci.md
 * §2): parse the Authorization header, check that it covers what OCI
 * requires, rebuild the signing string from the request exactly as received,
 * verify it with the key's RSA public key, check the body's hash and length,
 * and refuse a date more than five minutes off. Every refusal is
 * UNAUTHENTICATED with a reason that names no secret.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import { fail } from '../../../common/errors.js';

export interface SignedRequest {
  readonly method: string;
  /** The raw path and query, as received (not decoded, not normalised). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

export interface SignatureParams {
  readonly keyId: string;
  readonly algorithm: string;
  readonly headers: readonly string[];
  readonly signature: string;
}

export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
const BODY_HEADERS = ['content-length', 'content-type', 'x-content-sha256'];
/** Object Storage PUTs of object data are signed without the body headers. */
const UNHASHED_PUT = /^\/n\/[^/]+\/b\/[^/]+\/[ou]\//;

function refuse(reason: string): never {
  throw fail('UNAUTHENTICATED', `The required information to complete authentication was not provided or was incorrect: ${reason}.`);
}

export function parseAuthorization(header: string | undefined): SignatureParams {
  if (header === undefined || !/^Signature\s/i.test(header)) refuse('no Signature authorization header');
  const p = Object.create(null) as Record<string, string>;
  for (const m of header.slice(10).matchAll(/([A-Za-z]+)="([^"]*)"/g)) p[m[1]!] = m[2]!;
  if (p['keyId'] === undefined || p['signature'] === undefined) refuse('the signature has no keyId or signature');
  if (p['version'] !== undefined && p['version'] !== '1') refuse('unsupported signature version');
  const algorithm = (p['algorithm'] ?? 'rsa-sha256').toLowerCase();
  if (algorithm !== 'rsa-sha256') refuse('unsupported signature algorithm');
  const headers = (p['headers'] ?? 'date').split(/\s+/).filter((h) => h !== '').map((h) => h.toLowerCase());
  return { keyId: p['keyId'], algorithm, headers, signature: p['signature'] };
}

function needsBodyHeaders(method: string, url: string): boolean {
  const m = method.toUpperCase();
  if (m === 'PUT' && UNHASHED_PUT.test(url)) return false;
  return m === 'POST' || m === 'PUT' || m === 'PATCH';
}

function checkCoverage(params: SignatureParams, req: SignedRequest): void {
  const signed = new Set(params.headers);
  if (!signed.has('(request-target)') || !signed.has('host')) refuse('(request-target) and host must be signed');
  if (!signed.has('date') && !signed.has('x-date')) refuse('date or x-date must be signed');
  if (needsBodyHeaders(req.method, req.url) && BODY_HEADERS.some((h) => !signed.has(h))) refuse('content-length, content-type and x-content-sha256 must be signed');
}

function headerValue(req: SignedRequest, name: string): string {
  // Own properties only: a listed `constructor` or `__proto__` is a missing header, not a prototype member.
  const v = Object.hasOwn(req.headers, name) ? req.headers[name] : undefined;
  if (v === undefined) refuse(`the signed header ${name} is missing`);
  return Array.isArray(v) ? v.join(', ') : v;
}

export function signingString(params: SignatureParams, req: SignedRequest): string {
  return params.headers
    .map((h) => (h === '(request-target)' ? `(request-target): ${req.method.toLowerCase()} ${req.url}` : `${h}: ${headerValue(req, h)}`))
    .join('\n');
}

function checkBody(params: SignatureParams, req: SignedRequest): void {
  if (params.headers.includes('x-content-sha256')) {
    const sent = headerValue(req, 'x-content-sha256');
    if (createHash('sha256').update(req.body).digest('base64') !== sent) refuse('x-content-sha256 does not match the body');
  }
  if (params.headers.includes('content-length') && Number(headerValue(req, 'content-length')) !== req.body.length) refuse('content-length does not match the body');
}

/** The date the signature covers: x-date when signed (the TS SDK), else date (Python SDK, OCI CLI, Go SDK); an unsigned one proves nothing. */
function checkDate(params: SignatureParams, req: SignedRequest, nowMs: number): void {
  const when = Date.parse(headerValue(req, params.headers.includes('x-date') ? 'x-date' : 'date'));
  if (Number.isNaN(when)) refuse('the signed date is not a valid date');
  if (Math.abs(nowMs - when) > MAX_CLOCK_SKEW_MS) refuse('the request date is more than 5 minutes from the server time');
}

/** Verifies a parsed signature with the key's public key; throws UNAUTHENTICATED on any mismatch. */
export function verifySignature(params: SignatureParams, req: SignedRequest, publicKeyPem: string, nowMs: number): void {
  checkCoverage(params, req);
  checkDate(params, req, nowMs);
  const ok = verify('sha256', Buffer.from(signingString(params, req)), createPublicKey(publicKeyPem), Buffer.from(params.signature, 'base64'));
  if (!ok) refuse('the signature does not verify');
  checkBody(params, req);
}
