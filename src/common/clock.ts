/** Time and randomness are injected; nothing outside common/ and main/ reads them directly. */
import { randomBytes } from 'node:crypto';

export interface Clock {
  /** Nanoseconds since the Unix epoch. */
  nowNs(): bigint;
}

export const systemClock: Clock = Object.freeze({
  nowNs: () => BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n),
});

export function fixedClock(ns: bigint): Clock {
  return { nowNs: () => ns };
}

export interface Random {
  bytes(n: number): Buffer;
}

export const cryptoRandom: Random = Object.freeze({ bytes: (n: number) => randomBytes(n) });
