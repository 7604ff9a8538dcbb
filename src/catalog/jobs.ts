/**
 * Jobs (operations, work requests): the client's side of the queue — create,
 * read, list, cancel — plus the runner's lease operations from job-leases.ts.
 * At most one mutating job per resource is ACCEPTED or IN_PROGRESS: a partial
 * unique index enforces it atomically on both dialects, and create() turns
 * the violation into CONFLICT naming the job in the way.
 */
import type { StoreContext } from './context.js';
import { decodeCursor, fetchSize, isoNow, isUniqueViolation, toPage } from './codec.js';
import { fail } from '../common/errors.js';
import { createJobLeases, failCreatedBackup } from './job-leases.js';
import { ACTIVE_STATES, newJobRow, toJob } from './job-rows.js';
import type { JobStore, NewJob } from './types.js';

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
      const cursor = page.after === undefined ? undefined : decodeCursor(page.after, 2);
      const rows = await db.selectFrom('jobs').selectAll().where('tenant_id', '=', tenantId)
        .$if(filter.state !== undefined, (q) => q.where('state', '=', filter.state as string))
        .$if(filter.resourceId !== undefined, (q) => q.where('resource_id', '=', filter.resourceId as string))
        .$if(filter.kind !== undefined, (q) => q.where('kind', '=', filter.kind as string))
        .$if(cursor !== undefined, (q) => q.where((eb) => {
          const [time, id] = cursor as [string, string];
          return eb.or([eb('created_at', '<', time), eb.and([eb('created_at', '=', time), eb('id', '<', id)])]);
        }))
        .orderBy('created_at', 'desc').orderBy('id', 'desc').limit(fetchSize(page.limit)).execute();
      return toPage(rows, page.limit, toJob, (row) => [row.created_at, row.id]);
    },
  };
}
