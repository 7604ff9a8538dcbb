/**
 * Policy use cases (DESIGN.md §3 Policy: a cron schedule plus retention): the
 * checked create/update/delete the config file goes through, and the two
 * functions the scheduler is given — request a SCHEDULED backup, and queue
 * the deletion of a backup retention no longer keeps.
 */
import { errorMessage, fail } from '../common/errors.js';
import type { Backup, BackupType, Policy, RetentionRules } from '../catalog/index.js';
import { checkSchedule, COPY_OF_POLICY, nextRunAfter, type ScheduledBackupRequest } from '../jobs/scheduler.js';
import { expiresAtFor, toForgetPolicy } from '../jobs/retention.js';
import type { AppContext, Principal } from './context.js';
import { newId } from './context.js';
import { requestBackup, requestDelete } from './backups.js';
import { requestCopy } from './copies.js';
import { checkRegion, homeRegion } from './repositories.js';

export interface PolicyInput {
  readonly name: string;
  readonly resourceIds: readonly string[];
  readonly schedule: string;
  readonly timezone?: string;
  readonly backupType?: BackupType;
  readonly retention?: RetentionRules;
  /** A front end's own attributes, stored with the policy; an update without them keeps the current ones. */
  readonly attributes?: Record<string, unknown>;
  /** A configured region, not the home one, that each backup is copied to once AVAILABLE; null for none; an update without it keeps the current one. */
  readonly copyToRegion?: string | null;
}

function nowMs(app: AppContext): number {
  return Number(app.clock.nowNs() / 1_000_000n);
}

/** Checks schedule, time zone and retention rules; throws INVALID_ARGUMENT naming what is wrong. */
export function checkPolicyInput(input: PolicyInput): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(input.name)) throw fail('INVALID_ARGUMENT', `policy name must be 1-100 letters, digits, '.', '_' or '-': ${JSON.stringify(input.name)}`);
  checkSchedule(input.schedule, input.timezone ?? 'UTC');
  toForgetPolicy(input.retention ?? {});
  expiresAtFor(input.retention ?? {}, 0);
}

function checkCopyRegion(app: AppContext, region: string | null | undefined): void {
  if (region === undefined || region === null) return;
  checkRegion(app, region);
  if (region === homeRegion(app)) throw fail('INVALID_ARGUMENT', `backups already live in region ${region}: a policy copies them to another one`);
}

async function checkResources(app: AppContext, who: Principal, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    if ((await app.catalog.resources.get(who.tenantId, id)) === undefined) throw fail('NOT_FOUND', `no resource ${id}`);
  }
}

export async function createPolicy(app: AppContext, who: Principal, input: PolicyInput): Promise<Policy> {
  checkPolicyInput(input);
  checkCopyRegion(app, input.copyToRegion);
  await checkResources(app, who, input.resourceIds);
  const timezone = input.timezone ?? 'UTC';
  return app.catalog.policies.create({
    id: newId(app.random, 'pol'), tenantId: who.tenantId, name: input.name, resourceIds: [...input.resourceIds], schedule: input.schedule,
    timezone, backupType: input.backupType ?? 'INCREMENTAL', retention: input.retention ?? {}, attributes: input.attributes ?? {},
    copyToRegion: input.copyToRegion ?? null, nextRunAt: nextRunAfter(input.schedule, timezone, nowMs(app)),
  });
}

/** Replaces a policy's settings; a changed schedule or time zone restarts its ticks from now. */
export async function updatePolicy(app: AppContext, who: Principal, id: string, input: PolicyInput): Promise<Policy> {
  checkPolicyInput(input);
  checkCopyRegion(app, input.copyToRegion);
  const current = await app.catalog.policies.get(who.tenantId, id);
  if (current === undefined) throw fail('NOT_FOUND', `no policy ${id}`);
  await checkResources(app, who, input.resourceIds);
  const timezone = input.timezone ?? 'UTC';
  const rescheduled = current.schedule !== input.schedule || current.timezone !== timezone;
  const updated = await app.catalog.policies.update(who.tenantId, id, {
    resourceIds: [...input.resourceIds], schedule: input.schedule, timezone, backupType: input.backupType ?? 'INCREMENTAL', retention: input.retention ?? {},
    ...(input.attributes === undefined ? {} : { attributes: input.attributes }),
    ...(input.copyToRegion === undefined ? {} : { copyToRegion: input.copyToRegion }),
    ...(rescheduled ? { nextRunAt: nextRunAfter(input.schedule, timezone, nowMs(app)) } : {}),
  });
  if (updated === undefined) throw fail('NOT_FOUND', `no policy ${id}`);
  return updated;
}

/** The tenant's policies, by name. */
export async function listPolicies(app: AppContext, who: Principal): Promise<Policy[]> {
  return app.catalog.policies.list(who.tenantId);
}

export async function deletePolicy(app: AppContext, who: Principal, id: string): Promise<void> {
  if (!(await app.catalog.policies.delete(who.tenantId, id))) throw fail('NOT_FOUND', `no policy ${id}`);
}

/** The scheduler's backup request: the API's use case, as the tenant, marked SCHEDULED and tied to its policy. */
export function scheduledBackup(app: AppContext): (req: ScheduledBackupRequest) => Promise<{ backupId: string }> {
  return async (req) => {
    const who: Principal = { tenantId: req.tenantId, role: 'admin', credentialId: `policy:${req.policy.id}` };
    const { backup } = await requestBackup(app, who, {
      resourceId: req.resourceId, type: req.policy.backupType, source: 'SCHEDULED', tags: { policy: req.policy.name },
      extra: { policyId: req.policy.id }, ...(req.expiresAt === undefined ? {} : { expiresAt: req.expiresAt }),
    });
    return { backupId: backup.id };
  };
}

/**
 * After a backup of a policy that copies to another region became AVAILABLE: queues the copy, as
 * the policy. A failure does not undo the backup; it is recorded on it (`extra.copyError`), e.g.
 * when the region has left the configuration since.
 */
export async function copyForPolicy(app: AppContext, backup: Backup): Promise<void> {
  const policyId = backup.extra['policyId'];
  if (backup.source !== 'SCHEDULED' || typeof policyId !== 'string') return;
  const policy = await app.catalog.policies.get(backup.tenantId, policyId);
  if (policy?.copyToRegion === undefined || policy.copyToRegion === null) return;
  const who: Principal = { tenantId: backup.tenantId, role: 'admin', credentialId: `policy:${policy.id}` };
  try {
    await requestCopy(app, who, backup.id, { region: policy.copyToRegion, extra: { [COPY_OF_POLICY]: policy.id }, expiresAt: backup.expiresAt });
  } catch (err) {
    const current = (await app.catalog.backups.get(backup.tenantId, backup.id)) ?? backup;
    await app.catalog.backups.update(backup.tenantId, backup.id, { extra: { ...current.extra, copyError: errorMessage(err) } });
  }
}

/**
 * Retention's deletion of one backup, through the API's use case (a mutating
 * `delete` job that forgets the snapshot and marks the backup DELETED).
 * Throws CONFLICT while the resource has another mutating job; a backup no
 * longer AVAILABLE (already being deleted, or gone) is left as it is.
 */
export function retentionDelete(app: AppContext): (tenantId: string, backupId: string) => Promise<void> {
  return async (tenantId, backupId) => {
    const backup = await app.catalog.backups.get(tenantId, backupId);
    if (backup === undefined || backup.state !== 'AVAILABLE') return;
    await requestDelete(app, { tenantId, role: 'admin', credentialId: 'retention' }, backupId);
  };
}
