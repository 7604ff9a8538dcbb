/**
 * Secrets never leave in an answer: before any /v1 answer is serialized, the
 * values of secret-named fields (a resource's database `password`, a restore
 * target's, a tag called `token`) are replaced and passwords inside URLs are
 * cut out. The two routes whose point is to hand out a secret (a new token,
 * the repository password) opt out with `config: { revealsSecret: true }`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** This route's answer is a secret its caller asked for; it is not masked. */
    revealsSecret?: boolean;
  }
}

export const MASK = '[redacted]';
const SECRET_KEY = /(password|passwd|passphrase|secret|token|credential|private_?key|auth)$/i;
const URL_USERINFO_PASSWORD = /(\/\/[^/\s:@]*:)[^@/\s]*@/g;

/** A copy of `value` with every secret-named field masked; depth-bounded (answers are ours, not attacker-shaped). */
export function maskSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(URL_USERINFO_PASSWORD, `$1${MASK}@`);
  if (typeof value !== 'object' || value === null || depth > 64) return value;
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined && typeof v !== 'boolean' ? MASK : maskSecrets(v, depth + 1);
  }
  return out;
}

export async function maskAnswer(request: FastifyRequest, _reply: FastifyReply, payload: unknown): Promise<unknown> {
  return request.routeOptions.config.revealsSecret === true ? payload : maskSecrets(payload);
}
