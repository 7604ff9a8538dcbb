/**
 * The policy scheduler (DESIGN.md §3 Policy). Each pass looks at every policy:
 * a policy whose next tick is due requests one SCHEDULED backup of each of its
 * resources; then, per tenant, retention deletes what each policy's rules no
 * longer keep — also of resources the policy no longer names — and any
 * SCHEDULED backup past its expiration whose policy is gone.
 *
 * - A tick is claimed in the catalog (PolicyStore.claimRun moves next_run_at
 *   with a conditional UPDATE), so of several servers sharing one catalog
 *   exactly one fires it.
 * - The next tick is computed from now, not from the missed one: after the
 *   server was down across several ticks a policy fires once (one catch-up
 *   backup), then keeps to its schedule.
 * - A resource busy with another mutating job is skipped for that tick; a
 *   deletion refused because the resource is busy is tried on a later pass.
 *
 * Requesting and deleting backups are use cases of the app layer, injected
 * here so that jobs/ does not depend on app/.
 */
import { Cron } from 'croner';
import type { Clock } from '../common/clock.js';
import { errorMessage, fail, isHoldfastError } from '../common/errors.js';
import type { Backup, Catalog, Policy, RetentionRules } from '../catalog/index.js';
import { backupsToDelete, expiredBackups, expiresAtFor } from './retention.js';

export interface ScheduledBackupRequest {
  readonly tenantId: string;
  readonly resourceId: string;
  readonly policy: Policy;
  readonly expiresAt?: string;
}

export type SchedulerLog = (level: 'info' | 'warn' | 'error', message: string, data?: Record<string, unknown>) => void;

export interface SchedulerOptions {
  readonly catalog: Pick<Catalog, 'policies' | 'backups' | 'tenants'>;
  readonly clock: Clock;
  /** Queues a SCHEDULED backup; throws CONFLICT when the resource has a mutating job running. */
  readonly requestBackup: (req: ScheduledBackupRequest) => Promise<{ backupId: string }>;
  /** Queues the deletion of one backup; throws CONFLICT when the resource is busy. */
  readonly deleteBackup: (tenantId: string, backupId: string) => Promise<void>;
  readonly log?: SchedulerLog;
  /** Longest sleep between passes, so policies changed elsewhere are seen; default 30 s. */
  readonly pollMs?: number;
  /** Sleep after a pass that queued backups or found a resource busy for a deletion; default 2 s. */
  readonly busyPollMs?: number;
}

/** What one pass did, for logs and tests. */
export interface PassReport {
  readonly fired: { policyId: string; resourceId: string; backupId: string }[];
  readonly skipped: { policyId: string; resourceId: string; reason: string }[];
  readonly deleted: { policyId: string; backupId: string }[];
  /** Resources whose retention waits for a mutating job to finish. */
  readonly waiting: { policyId: string; resourceId: string }[];
}

export interface Scheduler {
  start(): void;
  /** One pass at the clock's current time. */
  runOnce(): Promise<PassReport>;
  stop(): Promise<void>;
}

function msOf(clock: Clock): number {
  return Number(clock.nowNs() / 1_000_000n);
}

/** Throws INVALID_ARGUMENT for a bad cron expression or time zone. */
export function checkSchedule(schedule: string, timezone: string): void {
  try {
    new Cron(schedule, { paused: true, timezone }).nextRun(new Date(0));
  } catch (err) {
    throw fail('INVALID_ARGUMENT', `not a valid schedule ${JSON.stringify(schedule)} in time zone ${JSON.stringify(timezone)}: ${errorMessage(err)}`);
  }
}

/** The first tick of the schedule strictly after `afterMs`, as ISO text; throws if it never fires again. */
export function nextRunAfter(schedule: string, timezone: string, afterMs: number): string {
  const next = new Cron(schedule, { paused: true, timezone }).nextRun(new Date(afterMs));
  if (next === null) throw fail('INVALID_ARGUMENT', `the schedule ${JSON.stringify(schedule)} never fires again`);
  return next.toISOString();
}

/** Marks, in `extra`, a copy a policy made of one of its backups (app/policies.ts copyForPolicy). */
export const COPY_OF_POLICY = 'copiedForPolicyId';

/**
 * A tenant's AVAILABLE backups of `source` by the id of the policy they belong to ('' for none):
 * SCHEDULED ones by the policy that made them, MANUAL ones only if they are a policy's copies.
 */
async function availableByPolicy(catalog: SchedulerOptions['catalog'], tenantId: string, source: 'SCHEDULED' | 'MANUAL'): Promise<Map<string, Backup[]>> {
  const key = source === 'SCHEDULED' ? 'policyId' : COPY_OF_POLICY;
  const out = new Map<string, Backup[]>();
  let after: string | undefined;
  do {
    const page = await catalog.backups.list(tenantId, { source, state: 'AVAILABLE' }, { limit: 1000, ...(after === undefined ? {} : { after }) });
    for (const b of page.items) {
      const policyId = b.extra[key];
      if (typeof policyId === 'string') pushTo(out, policyId, b);
      else if (source === 'SCHEDULED') pushTo(out, '', b);
    }
    after = page.next;
  } while (after !== undefined);
  return out;
}

function pushTo<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key) ?? [];
  map.set(key, list);
  list.push(value);
}

function byResource(backups: readonly Backup[]): Map<string, Backup[]> {
  const out = new Map<string, Backup[]>();
  for (const b of backups) pushTo(out, b.resourceId, b);
  return out;
}

export function createScheduler(o: SchedulerOptions): Scheduler {
  const log: SchedulerLog = o.log ?? (() => undefined);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = true;

  const fire = async (policy: Policy, report: PassReport): Promise<void> => {
    const expiresAt = expiresAtFor(policy.retention, msOf(o.clock));
    for (const resourceId of policy.resourceIds) {
      try {
        const { backupId } = await o.requestBackup({ tenantId: policy.tenantId, resourceId, policy, ...(expiresAt === undefined ? {} : { expiresAt }) });
        report.fired.push({ policyId: policy.id, resourceId, backupId });
      } catch (err) {
        const reason = isHoldfastError(err, 'CONFLICT') ? 'a mutating job of the resource is running' : errorMessage(err);
        report.skipped.push({ policyId: policy.id, resourceId, reason });
        log('warn', `policy ${policy.name}: no scheduled backup of resource ${resourceId} this tick: ${reason}`, { policyId: policy.id, resourceId });
      }
    }
  };

  /** Deletes what `rules` no longer keep of one policy's backups (`null`: only what expired), one deletion per resource at a time. */
  const retain = async (owner: { id: string; name: string; tenantId: string }, rules: RetentionRules | null, backups: readonly Backup[], report: PassReport): Promise<void> => {
    for (const [resourceId, mine] of byResource(backups)) {
      const doomed = rules === null ? expiredBackups(mine, msOf(o.clock)) : backupsToDelete(mine, rules, msOf(o.clock));
      for (const backupId of doomed) {
        try {
          await o.deleteBackup(owner.tenantId, backupId);
          report.deleted.push({ policyId: owner.id, backupId });
          log('info', `policy ${owner.name}: retention deletes backup ${backupId}`, { policyId: owner.id, backupId });
        } catch (err) {
          // One mutating job per resource: the next deletion waits for a later pass.
          if (isHoldfastError(err, 'CONFLICT')) report.waiting.push({ policyId: owner.id, resourceId });
          else log('error', `policy ${owner.name}: deleting backup ${backupId} failed: ${errorMessage(err)}`);
          break;
        }
      }
    }
  };

  /**
   * Each policy's rules over its backups; backups of a policy that is gone only expire (no keep
   * rules), as do the copies a policy made in other regions (they expire with their source).
   */
  const retainTenant = async (tenantId: string, policies: readonly Policy[], report: PassReport): Promise<void> => {
    const byPolicy = await availableByPolicy(o.catalog, tenantId, 'SCHEDULED');
    const copies = await availableByPolicy(o.catalog, tenantId, 'MANUAL');
    for (const [policyId, backups] of copies) await retain({ id: policyId, name: `${policyId} (copies)`, tenantId }, null, backups, report);
    for (const policy of policies) {
      await retain(policy, policy.retention, byPolicy.get(policy.id) ?? [], report)
        .catch((err: unknown) => log('error', `policy ${policy.name}: ${errorMessage(err)}`, { policyId: policy.id }));
    }
    const known = new Set(policies.map((p) => p.id));
    for (const [policyId, backups] of byPolicy) {
      if (!known.has(policyId)) await retain({ id: policyId, name: `${policyId || '(none)'} (deleted)`, tenantId }, {}, backups, report);
    }
  };

  const visit = async (policy: Policy, report: PassReport): Promise<void> => {
    const now = msOf(o.clock);
    const next = nextRunAfter(policy.schedule, policy.timezone, now);
    if (policy.nextRunAt === null) await o.catalog.policies.claimRun(policy.id, null, next, false);
    else if (Date.parse(policy.nextRunAt) <= now && (await o.catalog.policies.claimRun(policy.id, policy.nextRunAt, next, true))) await fire(policy, report);
  };

  const runOnce = async (): Promise<PassReport> => {
    const report: PassReport = { fired: [], skipped: [], deleted: [], waiting: [] };
    const policies = await o.catalog.policies.listAll();
    for (const policy of policies) {
      await visit(policy, report).catch((err: unknown) => log('error', `policy ${policy.name}: ${errorMessage(err)}`, { policyId: policy.id }));
    }
    const tenantIds = new Set([...policies.map((p) => p.tenantId), ...(await o.catalog.tenants.list()).map((t) => t.id)]);
    for (const tenantId of tenantIds) {
      await retainTenant(tenantId, policies.filter((p) => p.tenantId === tenantId), report)
        .catch((err: unknown) => log('error', `retention of tenant ${tenantId}: ${errorMessage(err)}`, { tenantId }));
    }
    return report;
  };

  /** Until the soonest tick; sooner while retention waits for jobs this or an earlier pass queued. */
  const delayMs = async (report: PassReport): Promise<number> => {
    const now = msOf(o.clock);
    const soonest = (await o.catalog.policies.listAll()).map((p) => (p.nextRunAt === null ? now : Date.parse(p.nextRunAt)));
    const busy = report.fired.length + report.deleted.length + report.waiting.length > 0;
    return Math.max(50, Math.min(busy ? o.busyPollMs ?? 2000 : o.pollMs ?? 30_000, ...soonest.map((t) => t - now + 10)));
  };

  const loop = (): void => {
    if (stopped) return;
    running = runOnce().then(delayMs).catch((err: unknown) => { log('error', `scheduler pass failed: ${errorMessage(err)}`); return o.pollMs ?? 30_000; })
      .then((ms) => { if (!stopped) timer = setTimeout(loop, ms); });
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      loop();
    },
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
