/**
 * Replay protection for OCI-signed POSTs (oci.md §2 step 7): a signature is
 * remembered while its date is still acceptable, and a second request with it
 * is refused. RSA PKCS#1 v1.5 signatures are deterministic and dates have
 * one-second resolution, so only POSTs are guarded: the SDK's waiters repeat
 * identical GETs several times a second, and identical PUTs and DELETEs within
 * a second are idempotent in effect. The SDK's retrier re-signs with a fresh
 * x-date at least a second later, so its retries never repeat a signature.
 * A POST repeated with the same `opc-retry-token` as its first use is let
 * through: it can only get the first answer back (replies.ts). The memory is
 * per process.
 */
import { createHash } from 'node:crypto';
import { MAX_CLOCK_SKEW_MS } from './signature.js';

/** A date is accepted within ±skew, so a signature stays usable at most 2×skew after it first arrives. */
const REMEMBER_MS = 2 * MAX_CLOCK_SKEW_MS;

export interface ReplayMemory {
  /** True when this use of the signature is its first (or a retry with the first use's retry token); remembers it. */
  admit(method: string, signature: string, retryToken: string | undefined, nowMs: number): boolean;
  readonly size: number;
}

interface Seen {
  readonly until: number;
  readonly retryToken: string | undefined;
}

/** The signature's bytes, not its text: base64 decoding skips stray characters, so `sig` and `sig!!` verify alike. */
function signatureKey(signature: string): string {
  return createHash('sha256').update(Buffer.from(signature, 'base64')).digest('base64');
}

export function replayMemory(): ReplayMemory {
  // Insertion order is arrival order and `until` grows with it: expired entries are always at the front.
  const seen = new Map<string, Seen>();
  const prune = (nowMs: number): void => {
    for (const [key, entry] of seen) {
      if (entry.until > nowMs) return;
      seen.delete(key);
    }
  };
  return {
    admit(method, signature, retryToken, nowMs) {
      if (method.toUpperCase() !== 'POST') return true;
      prune(nowMs);
      const key = signatureKey(signature);
      const first = seen.get(key);
      if (first !== undefined) return first.retryToken !== undefined && first.retryToken === retryToken;
      seen.set(key, { until: nowMs + REMEMBER_MS, retryToken });
      return true;
    },
    get size() {
      return seen.size;
    },
  };
}
