/**
 * Finding what an Oracle PaaS path names, always within the caller's tenant:
 * a service instance is a database resource whose alias `dbaasServiceName`
 * is the service name (or, for a resource without that alias, whose name is);
 * a job is named by its Oracle number (job-ids.ts). Anything else is 404.
 */
import type { AppContext, Principal } from '../../../app/context.js';
import { getBackupRecord, getJob } from '../../../app/backups.js';
import { getResource } from '../../../app/resources.js';
import type { Backup, Job, Resource } from '../../../catalog/index.js';
import { fail } from '../../../common/errors.js';
import { jobIdOfNumber } from './job-ids.js';

export const SERVICE_NAME_ALIAS = 'dbaasServiceName';

export function serviceNameOf(resource: Resource): string {
  return resource.aliases[SERVICE_NAME_ALIAS] ?? resource.name;
}

async function byName(app: AppContext, who: Principal, name: string): Promise<Resource | undefined> {
  let after: string | undefined;
  do {
    const page = await app.catalog.resources.list(who.tenantId, { limit: 500, ...(after === undefined ? {} : { after }) });
    const found = page.items.find((r) => r.name === name && r.aliases[SERVICE_NAME_ALIAS] === undefined);
    if (found !== undefined) return found;
    after = page.next;
  } while (after !== undefined);
  return undefined;
}

export async function findInstance(app: AppContext, who: Principal, serviceName: string): Promise<Resource> {
  const found = (await app.catalog.resources.findByAlias(who.tenantId, SERVICE_NAME_ALIAS, serviceName)) ?? (await byName(app, who, serviceName));
  if (found === undefined || found.kind !== 'database') throw fail('NOT_FOUND', `There is no service instance ${serviceName} in this identity domain.`);
  return found;
}

export async function findJob(app: AppContext, who: Principal, jobNumber: string): Promise<Job> {
  const id = jobIdOfNumber(jobNumber);
  const job = id === undefined ? undefined : await getJob(app, who, id).catch(() => undefined);
  if (job === undefined) throw fail('NOT_FOUND', `There is no job ${jobNumber.slice(0, 20)} in this identity domain.`);
  return job;
}

/** The job's backup (any state) and service instance, when they still exist. */
export async function jobSubjects(app: AppContext, who: Principal, job: Job): Promise<{ backup?: Backup; resource?: Resource }> {
  const backup = job.backupId === null ? undefined : await getBackupRecord(app, who, job.backupId).catch(() => undefined);
  const resource = job.resourceId === null ? undefined : await getResource(app, who, job.resourceId).catch(() => undefined);
  return { ...(backup === undefined ? {} : { backup }), ...(resource === undefined ? {} : { resource }) };
}
