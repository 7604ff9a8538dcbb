/**
 * Database Classic / Exadata on-demand backups (paas-otc.md §2), under
 * `/paas/service/dbcs/api/v1.1/instances/{dom}`: start a backup
 * (`POST /{svc}/backups`, answered exactly as Oracle does: 202, empty body,
 * Location of the job, Retry-After, Service-URI), list them, and the job
 * status at `/status/{requestName}/job/{n}` (requestName `backup` for backup
 * jobs, `recovery` for recovery jobs). Each backup gets an RMAN-style tag
 * `TAGyyyymmddThhmmss` of its request time, unique within the instance.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../app/context.js';
import { nowIso } from '../../../app/context.js';
import { allBackupRecords, requestBackup } from '../../../app/backups.js';
import type { Resource } from '../../../catalog/index.js';
import { fail } from '../../../common/errors.js';
import { callerOf, type PaasCaller } from './auth.js';
import { dbTagAt } from './dates.js';
import { isDbcsBackup, renderBackupItem, renderJobStatus } from './dbcs-model.js';
import { numberOfJobId, withNumericJobId } from './job-ids.js';
import { findInstance, findJob, jobSubjects, serviceNameOf } from './lookups.js';
import { baseUrlOf, dbcsJobPath, dbcsPath, dbcsServicePath, sendAccepted } from './replies.js';
import { instanceParams, startBackupBody, statusJobParams } from './schemas.js';

export const DBCS_BASE = '/service/dbcs/api/v1.1/instances/:identityDomainId';

const OPERATION_OF_KIND: Readonly<Record<string, 'backup' | 'recovery'>> = { backup: 'backup', restore: 'recovery' };

export interface DbcsParams { readonly serviceId: string; readonly requestName?: string; readonly jobId?: string }

export function dbcsParamsOf(req: FastifyRequest): DbcsParams {
  return req.params as DbcsParams;
}

/** The tag of a backup requested now: the request second, or the next second no backup of the instance has. */
async function freeDbTag(app: AppContext, caller: PaasCaller, instance: Resource): Promise<string> {
  const taken = new Set((await allBackupRecords(app, caller.principal, { resourceId: instance.id })).map((b) => b.extra['dbTag']));
  let at = Math.floor(Date.parse(nowIso(app.clock)) / 1000) * 1000;
  while (taken.has(dbTagAt(new Date(at).toISOString()))) at += 1000;
  return dbTagAt(new Date(at).toISOString());
}

/** Location and Service-URI of an accepted DBCS request. */
export function dbcsLinks(app: AppContext, req: FastifyRequest, caller: PaasCaller, instance: Resource, operation: string, jobId: string): { location: string; serviceUri: string } {
  const base = baseUrlOf(app, req);
  return {
    location: `${base}${dbcsJobPath(caller.domain, operation, numberOfJobId(jobId)!)}`,
    serviceUri: `${base}${dbcsServicePath(caller.domain, serviceNameOf(instance))}`,
  };
}

function startRoute(server: FastifyInstance, app: AppContext): void {
  server.post(`${DBCS_BASE}/:serviceId/backups`, { schema: { params: instanceParams, body: startBackupBody } }, async (req, reply) => {
    const caller = callerOf(req);
    const instance = await findInstance(app, caller.principal, dbcsParamsOf(req).serviceId);
    const keepForever = (req.body as { keepForever?: boolean }).keepForever ?? false;
    const dbTag = await freeDbTag(app, caller, instance);
    const { job } = await withNumericJobId(app.random, (jobId) => requestBackup(app, caller.principal, {
      resourceId: instance.id, name: dbTag, description: 'On-demand backup (DBCS API)', keepForever, jobId, extra: { dbTag },
    }));
    const links = dbcsLinks(app, req, caller, instance, 'backup', job.id);
    return sendAccepted(reply, links.location, undefined, { 'service-uri': links.serviceUri });
  });
}

function listRoute(server: FastifyInstance, app: AppContext): void {
  server.get(`${DBCS_BASE}/:serviceId/backups`, { schema: { params: instanceParams } }, async (req) => {
    const caller = callerOf(req);
    const instance = await findInstance(app, caller.principal, dbcsParamsOf(req).serviceId);
    const backups = await allBackupRecords(app, caller.principal, { resourceId: instance.id });
    return { backupList: backups.filter(isDbcsBackup).map(renderBackupItem) };
  });
}

function jobStatusRoute(server: FastifyInstance, app: AppContext): void {
  server.get(`${DBCS_BASE}/status/:requestName/job/:jobId`, { schema: { params: statusJobParams } }, async (req) => {
    const caller = callerOf(req);
    const { requestName, jobId } = dbcsParamsOf(req) as Required<DbcsParams>;
    const job = await findJob(app, caller.principal, jobId);
    const operation = OPERATION_OF_KIND[job.kind];
    if (operation !== requestName) throw fail('NOT_FOUND', `There is no ${requestName.slice(0, 32)} job ${jobId} in this identity domain.`);
    const subjects = await jobSubjects(app, caller.principal, job);
    const base = baseUrlOf(app, req);
    const serviceUri = subjects.resource === undefined ? `${base}${dbcsPath(caller.domain)}` : `${base}${dbcsServicePath(caller.domain, serviceNameOf(subjects.resource))}`;
    return renderJobStatus({ job, jobNumber: jobId, operation, domain: caller.domain, serviceUri, ...subjects });
  });
}

export async function dbcsBackupRoutes(server: FastifyInstance, app: AppContext): Promise<void> {
  startRoute(server, app);
  listRoute(server, app);
  jobStatusRoute(server, app);
}
