/**
 * The runner's side of the job queue (DESIGN.md §5): claim with a lease,
 * heartbeat progress, finish or retry later. Every write after the claim is
 * conditioned on the lease owner, so a runner whose lease was taken over can
 * no longer touch the job. On PostgreSQL the claim picks with
 * FOR UPDATE SKIP LOCKED so parallel claimers never take the same job; on
 * SQLite the single UPDATE statement is atomic by itself.
 */
import type { Kysely } from 'kysely';
import type { StoreContext } from './context.js';
import { fromFlag, isoNow, toJson } from './codec.js';
import { errorColumn, toJob } from './job-rows.js';
import type { Database } from './schema.js';
import type { Heartbeat, Job, JobEndState, JobError, JobProgress } from './types.js';

export interface JobLeases {
  claim(owner: string, leaseMs: number): Promise<Job | undefined>;
  heartbeat(id: string, owner: string, progress: JobProgress, leaseMs: number): Promise<Heartbeat>;
  finish(id: string, owner: string, state: JobEndState, error?: JobError): Promise<boolean>;
  retryLater(id: string, owner: string, runAfter: string, error: JobError): Promise<boolean>;
}

function held(db: Kysely<Database>, id: string, owner: string) {
  return db.updateTable('jobs').where('id', '=', id).where('lease_owner', '=', owner).where('state', '=', 'IN_PROGRESS');
}

export function createJobLeases({ db, clock, dialect }: StoreContext): JobLeases {
  return {
    async claim(owner, leaseMs) {
      const now = isoNow(clock);
      // One statement: SQLite cannot then hit a read-to-write lock upgrade
      // between connections, and PostgreSQL locks the picked row as it reads it.
      const row = await db.updateTable('jobs')
        .set((eb) => ({
          state: 'IN_PROGRESS', lease_owner: owner, lease_expires_at: isoNow(clock, leaseMs),
          attempts: eb('attempts', '+', 1), started_at: eb.fn.coalesce('started_at', eb.val(now)),
        }))
        .where('id', '=', (eb) => eb.selectFrom('jobs').select('id')
          .where((w) => w.or([
            w.and([w('state', '=', 'ACCEPTED'), w('run_after', '<=', now)]),
            w.and([w('state', '=', 'IN_PROGRESS'), w('lease_expires_at', '<=', now)]),
          ]))
          .orderBy('created_at').orderBy('id').limit(1)
          .$if(dialect === 'postgres', (q) => q.forUpdate().skipLocked()))
        .returningAll().executeTakeFirst();
      return row && toJob(row);
    },
    async heartbeat(id, owner, progress, leaseMs) {
      const row = await held(db, id, owner).set({ progress: toJson(progress), lease_expires_at: isoNow(clock, leaseMs) })
        .returning('cancel_requested').executeTakeFirst();
      if (row !== undefined) return { held: true, cancelRequested: fromFlag(row.cancel_requested) };
      const current = await db.selectFrom('jobs').select('cancel_requested').where('id', '=', id).executeTakeFirst();
      return { held: false, cancelRequested: current !== undefined && fromFlag(current.cancel_requested) };
    },
    async finish(id, owner, state, error) {
      const result = await held(db, id, owner)
        .set({ state, error: errorColumn(error), finished_at: isoNow(clock), lease_expires_at: null })
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async retryLater(id, owner, runAfter, error) {
      const result = await held(db, id, owner)
        .set({ state: 'ACCEPTED', error: errorColumn(error), run_after: runAfter, lease_owner: null, lease_expires_at: null })
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}
