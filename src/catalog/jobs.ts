/**
 * Jobs (operations, work requests): the client's side of the queue — create,
 * read, list, cancel — plus the runner's lease operations from job-leases.ts.
 * At most one mutating job per resource is ACCEPTED or IN_PROGRESS: a partial
 * unique index enforces it atomically on both dialects, and create() turns
 * the violation into CONFLICT naming the job in the way.
 */
import type { StoreContext } from './context.js';
import type { Selectable } from 'kysely';
import { isoNow, isUniqueViolation } from './codec.js';
import { fail } from '../common/errors.js';
import { createJobLeases, failCreatedBackup } from './job-leases.js';
import { ACTIVE_STATES, newJobRow, toJob } from './job-rows.js';
import { keysetPage, type Keyset } from './pagination.js';
import type { JobTable } from './schema.js';
import type { JobState, JobStore, NewJob } from './types.js';

const NEWEST_FIRST: Keyset<Selectable<JobTable>> = { columns: ['created_at', 'id'], order: 'desc' };

export function createJobStore(ctx: StoreContext): JobStore {
  const { db, clock } = ctx;
  const get = async (tenantId: string, id: string) => {
    const row = await db.selectFrom('jobs').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    return row && toJob(row);
  };
  const conflictOf = async (job: NewJob): Promise<never> => {
    const other = job.resourceId === null ? undefined : await db.selectFrom('jobs').select('id')
      .where('resource_id', '=', job.resourceId).where('mutating', '=', 1).where('state', 'in', ACTIVE_STATES)
      .where('id', '!=', job.id).executeTakeFirst();
    if (other === undefined) throw fail('ALREADY_EXISTS', `a job with this id already exists: ${job.id}`);
    throw fail('CONFLICT', `resource ${job.resourceId} already has a mutating job in progress: ${other.id}`, { data: { jobId: other.id } });
  };
  return {
    ...createJobLeases(ctx),
    async create(job) {
      const row = newJobRow(job, isoNow(clock));
      try {
        await db.insertInto('jobs').values(row).execute();
      } catch (err) {
        if (isUniqueViolation(err)) return conflictOf(job);
        throw err;
      }
      return toJob(row);
    },
    async requestCancel(tenantId, id) {
      await db.transaction().execute(async (trx) => {
        const canceled = await trx.updateTable('jobs').set({ state: 'CANCELED', cancel_requested: 1, finished_at: isoNow(clock) })
          .where('tenant_id', '=', tenantId).where('id', '=', id).where('state', '=', 'ACCEPTED').executeTakeFirst();
        if (Number(canceled.numUpdatedRows) > 0) return failCreatedBackup(trx, id);
        await trx.updateTable('jobs').set({ cancel_requested: 1 })
          .where('tenant_id', '=', tenantId).where('id', '=', id).where('state', '=', 'IN_PROGRESS').execute();
      });
      return get(tenantId, id);
    },
    get,
    async list(tenantId, filter, page) {
      const query = db.selectFrom('jobs').selectAll().where('tenant_id', '=', tenantId)
        .$if(filter.state !== undefined, (q) => q.where('state', '=', filter.state as string))
        .$if(filter.resourceId !== undefined, (q) => q.where('resource_id', '=', filter.resourceId as string))
        .$if(filter.kind !== undefined, (q) => q.where('kind', '=', filter.kind as string));
      return keysetPage(query, NEWEST_FIRST, page, toJob);
    },
    async countByState() {
      const rows = await db.selectFrom('jobs').select((eb) => ['state', eb.fn.countAll<number | string>().as('n')]).groupBy('state').execute();
      const counts: Record<JobState, number> = { ACCEPTED: 0, IN_PROGRESS: 0, SUCCEEDED: 0, FAILED: 0, CANCELED: 0 };
      for (const row of rows) counts[row.state as JobState] = Number(row.n);
      return counts;
    },
  };
}
