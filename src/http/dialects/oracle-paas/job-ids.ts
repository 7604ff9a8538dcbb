/**
 * Oracle's job ids are numbers (paas-otc.md §1.5: `jobId` int; clients match
 * `/job/([0-9]+)`). Holdfast's are `job_` + 24 hex digits, so a job this
 * dialect queues gets 24 *decimal* digits: the zero-padded number, which maps
 * both ways exactly. Numbers are random (48 bits, above a million, so they
 * look like Oracle's) and stay below 2^53 for JSON clients.
 */
import type { Random } from '../../../common/clock.js';
import { isHoldfastError } from '../../../common/errors.js';

const WIDTH = 24;
const NUMBER = /^[1-9][0-9]{0,15}$/;
const NUMERIC_JOB_ID = /^job_([0-9]{24})$/;
const ATTEMPTS = 3;

export function newNumericJobId(random: Random): string {
  return jobIdOfNumber(String(1_000_000 + random.bytes(6).readUIntBE(0, 6)))!;
}

/** The job id an Oracle job number stands for; undefined for anything that is not one. */
export function jobIdOfNumber(text: string): string | undefined {
  if (!NUMBER.test(text) || !Number.isSafeInteger(Number(text))) return undefined;
  return `job_${text.padStart(WIDTH, '0')}`;
}

/** The Oracle job number of a job id; undefined for a job this dialect did not number. */
export function numberOfJobId(id: string): string | undefined {
  const m = NUMERIC_JOB_ID.exec(id);
  if (m === null) return undefined;
  const n = Number(m[1]);
  return n > 0 && Number.isSafeInteger(n) ? String(n) : undefined;
}

/** Runs `queue` with a fresh numbered job id, again with another if that id happened to be taken. */
export async function withNumericJobId<T>(random: Random, queue: (jobId: string) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await queue(newNumericJobId(random));
    } catch (err) {
      if (!isHoldfastError(err, 'ALREADY_EXISTS') || attempt >= ATTEMPTS) throw err;
    }
  }
}
