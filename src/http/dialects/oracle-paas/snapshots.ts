/**
 * Database Classic storage snapshots (paas-otc.md §1.2–1.5), under
 * `/paas/api/v1.1/instancemgmt/{dom}/services/dbaas/instances/{svc}/snapshots`:
 * create (202, Location of the job), list (array), get and delete by name,
 * and the job both at `…/snapshots/job/{n}` and in the activity log at
 * `/paas/api/v1.1/activitylog/{dom}/job/{n}`. A snapshot is a backup of
 * `form: 'physical'`; its name is required (it is the only handle get and
 * delete have) and unique among the instance's snapshots.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../app/context.js';
import { allBackupRecords, requestBackup, requestDelete } from '../../../app/backups.js';
import type { Backup, Resource } from '../../../catalog/index.js';
import { fail } from '../../../common/errors.js';
import { callerOf, type PaasCaller } from './auth.js';
import { numberOfJobId, withNumericJobId } from './job-ids.js';
import { findInstance, findJob, jobSubjects, serviceNameOf } from './lookups.js';
import { baseUrlOf, instancemgmtPath, sendAccepted } from './replies.js';
import { isSnapshot, renderActivity, renderSnapshot } from './snapshot-model.js';
import { createSnapshotBody, domainJobParams, instanceParams, snapshotJobParams, snapshotParams } from './schemas.js';

const BASE = '/api/v1.1/instancemgmt/:identityDomainId/services/dbaas/instances/:serviceId/snapshots';

interface Params { readonly serviceId: string; readonly snapshotName?: string; readonly jobId?: string }

function paramsOf(req: FastifyRequest): Params {
  return req.params as Params;
}

async function snapshotsOf(app: AppContext, caller: PaasCaller, instance: Resource): Promise<Backup[]> {
  return (await allBackupRecords(app, caller.principal, { resourceId: instance.id })).filter(isSnapshot);
}

async function findSnapshot(app: AppContext, caller: PaasCaller, instance: Resource, name: string): Promise<Backup> {
  const found = (await snapshotsOf(app, caller, instance)).find((b) => b.name === name);
  if (found === undefined) throw fail('NOT_FOUND', `There is no snapshot ${name} of service instance ${serviceNameOf(instance)}.`);
  return found;
}

/** The 202 body: the DBaaS client shape (`details`) and the MySQL sibling's (top level) at once, as clients read either. */
function submitted(jobNumber: string, message: string): Record<string, unknown> {
  return { jobId: jobNumber, message, details: { jobId: jobNumber, message } };
}

function jobUrl(app: AppContext, req: FastifyRequest, caller: PaasCaller, instance: Resource, jobId: string): { url: string; number: string } {
  const number = numberOfJobId(jobId)!;
  return { url: `${baseUrlOf(app, req)}${instancemgmtPath(caller.domain, serviceNameOf(instance))}/snapshots/job/${number}`, number };
}

function createRoute(server: FastifyInstance, app: AppContext): void {
  server.post(BASE, { schema: { params: instanceParams, body: createSnapshotBody } }, async (req, reply) => {
    const caller = callerOf(req);
    const body = req.body as { name: string; description?: string };
    const instance = await findInstance(app, caller.principal, paramsOf(req).serviceId);
    if ((await snapshotsOf(app, caller, instance)).some((b) => b.name === body.name)) {
      throw fail('ALREADY_EXISTS', `A snapshot named ${body.name} already exists for service instance ${serviceNameOf(instance)}.`);
    }
    const { job } = await withNumericJobId(app.random, (jobId) => requestBackup(app, caller.principal, {
      resourceId: instance.id, type: 'FULL', name: body.name, description: body.description ?? '', form: 'physical', jobId,
    }));
    const { url, number } = jobUrl(app, req, caller, instance, job.id);
    return sendAccepted(reply, url, submitted(number, `Snapshot a service [${serviceNameOf(instance)}] is submitted as an asynchronous job.`));
  });
}

function readRoutes(server: FastifyInstance, app: AppContext): void {
  server.get(BASE, { schema: { params: instanceParams } }, async (req) => {
    const caller = callerOf(req);
    const instance = await findInstance(app, caller.principal, paramsOf(req).serviceId);
    return (await snapshotsOf(app, caller, instance)).map(renderSnapshot);
  });
  server.get(`${BASE}/:snapshotName`, { schema: { params: snapshotParams } }, async (req) => {
    const caller = callerOf(req);
    const instance = await findInstance(app, caller.principal, paramsOf(req).serviceId);
    return renderSnapshot(await findSnapshot(app, caller, instance, paramsOf(req).snapshotName!));
  });
}

function deleteRoute(server: FastifyInstance, app: AppContext): void {
  server.delete(`${BASE}/:snapshotName`, { schema: { params: snapshotParams } }, async (req, reply) => {
    const caller = callerOf(req);
    const instance = await findInstance(app, caller.principal, paramsOf(req).serviceId);
    const snapshot = await findSnapshot(app, caller, instance, paramsOf(req).snapshotName!);
    if (snapshot.state === 'CREATING' || snapshot.state === 'DELETING') {
      throw fail('CONFLICT', `Snapshot ${snapshot.name} is ${snapshot.state === 'CREATING' ? 'still being created' : 'already being deleted'}.`);
    }
    const job = await withNumericJobId(app.random, (jobId) => requestDelete(app, caller.principal, snapshot.id, { jobId }));
    const { url, number } = jobUrl(app, req, caller, instance, job.id);
    return sendAccepted(reply, url, submitted(number, `Delete snapshot [${snapshot.name}] of service [${serviceNameOf(instance)}] is submitted as an asynchronous job.`));
  });
}

function jobRoutes(server: FastifyInstance, app: AppContext): void {
  server.get(`${BASE}/job/:jobId`, { schema: { params: snapshotJobParams } }, async (req) => {
    const caller = callerOf(req);
    const instance = await findInstance(app, caller.principal, paramsOf(req).serviceId);
    const job = await findJob(app, caller.principal, paramsOf(req).jobId!);
    if (job.resourceId !== instance.id) throw fail('NOT_FOUND', `There is no job ${paramsOf(req).jobId!} of service instance ${serviceNameOf(instance)}.`);
    return renderActivity(job, paramsOf(req).jobId!, caller.domain, await jobSubjects(app, caller.principal, job));
  });
  server.get('/api/v1.1/activitylog/:identityDomainId/job/:jobId', { schema: { params: domainJobParams } }, async (req) => {
    const caller = callerOf(req);
    const job = await findJob(app, caller.principal, paramsOf(req).jobId!);
    return renderActivity(job, paramsOf(req).jobId!, caller.domain, await jobSubjects(app, caller.principal, job));
  });
}

export async function snapshotRoutes(server: FastifyInstance, app: AppContext): Promise<void> {
  createRoute(server, app);
  readRoutes(server, app);
  deleteRoute(server, app);
  jobRoutes(server, app);
}
