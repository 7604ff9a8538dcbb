/**
 * The runner's side of the job queue (DESIGN.md §5): claim with a lease,
 * heartbeat progress, finish or retry later. Every write after the claim is
 * conditioned on the lease owner, so a runner whose lease was taken over can
 * no longer touch the job. On PostgreSQL the claim picks with
 * FOR UPDATE SKIP LOCKED so parallel claimers never take the same job; on
 * SQLite the single UPDATE statement is atomic by itself.
 *
 * A backup job that ends FAILED or CANCELED fails its CREATING backup in the
 * same transaction, so no crash between two writes can leave a backup
 * CREATING under a settled job, whichever path settled it.
 */
import type { Kysely, Transaction } from 'kysely';
import type { StoreContext } from './context.js';
import { fromFlag, isoNow, toJson } from './codec.js';
import { errorColumn, toJob } from './job-rows.js';
import type { Database } from './schema.js';
import type { Heartbeat, Job, JobEndState, JobError, JobLease, JobProgress } from './types.js';

export interface JobLeases {
  claim(owner: string, leaseMs: number): Promise<Job | undefined>;
  heartbeat(id: string, owner: string, progress: JobProgress, leaseMs: number): Promise<Heartbeat>;
  finish(id: string, owner: string, state: JobEndState, error?: JobError): Promise<boolean>;
  retryLater(id: string, owner: string, runAfter: string, error: JobError): Promise<boolean>;
  release(id: string, owner: string): Promise<boolean>;
  leases(): Promise<JobLease[]>;
}

function held(db: Kysely<Database>, id: string, owner: string) {
  return db.updateTable('jobs').where('id', '=', id).where('lease_owner', '=', owner).where('state', '=', 'IN_PROGRESS');
}

/** Fails the backup this job was creating, if it still is (a restore job's backup has another job_id). */
export async function failCreatedBackup(trx: Transaction<Database>, jobId: string): Promise<void> {
  await trx.updateTable('backups').set({ state: 'FAILED' })
    .where('id', '=', (eb) => eb.selectFrom('jobs').select('backup_id').where('id', '=', jobId))
    .where('job_id', '=', jobId).where('state', '=', 'CREATING')
    .execute();
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
    finish(id, owner, state, error) {
      return db.transaction().execute(async (trx) => {
        const result = await held(trx, id, owner)
          .set({ state, error: errorColumn(error), finished_at: isoNow(clock), lease_expires_at: null })
          .executeTakeFirst();
        const finished = Number(result.numUpdatedRows) > 0;
        if (finished && state !== 'SUCCEEDED') await failCreatedBackup(trx, id);
        return finished;
      });
    },
    async retryLater(id, owner, runAfter, error) {
      const result = await held(db, id, owner)
        .set({ state: 'ACCEPTED', error: errorColumn(error), run_after: runAfter, lease_owner: null, lease_expires_at: null })
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async release(id, owner) {
      const result = await held(db, id, owner)
        .set({ state: 'ACCEPTED', run_after: isoNow(clock), lease_owner: null, lease_expires_at: null })
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async leases() {
      const rows = await db.selectFrom('jobs').select(['id', 'lease_owner']).where('state', '=', 'IN_PROGRESS').execute();
      return rows.flatMap((r) => (r.lease_owner === null ? [] : [{ id: r.id, owner: r.lease_owner }]));
    },
  };
}
