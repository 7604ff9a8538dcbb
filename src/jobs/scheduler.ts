/**
 * The policy scheduler (DESIGN.md §3 Policy). Each pass looks at every policy:
 * a policy whose next tick is due requests one SCHEDULED backup of each of its
 * resources, then retention deletes what the policy's rules no longer keep.
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
import type { Backup, Catalog, Policy } from '../catalog/index.js';
import { backupsToDelete, expiresAtFor } from './retention.js';

export interface ScheduledBackupRequest {
  readonly tenantId: string;
  readonly resourceId: string;
  readonly policy: Policy;
  readonly expiresAt?: string;
}

export type SchedulerLog = (level: 'info' | 'warn' | 'error', message: string, data?: Record<string, unknown>) => void;

export interface SchedulerOptions {
  readonly catalog: Pick<Catalog, 'policies' | 'backups'>;
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

async function listScheduled(catalog: SchedulerOptions['catalog'], policy: Policy, resourceId: string): Promise<Backup[]> {
  const out: Backup[] = [];
  let after: string | undefined;
  do {
    const page = await catalog.backups.list(policy.tenantId, { resourceId, state: 'AVAILABLE' }, { limit: 1000, ...(after === undefined ? {} : { after }) });
    out.push(...page.items.filter((b) => b.source === 'SCHEDULED' && b.extra['policyId'] === policy.id));
    after = page.next;
  } while (after !== undefined);
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

  const retain = async (policy: Policy, report: PassReport): Promise<void> => {
    for (const resourceId of policy.resourceIds) {
      const doomed = backupsToDelete(await listScheduled(o.catalog, policy, resourceId), policy.retention, msOf(o.clock));
      for (const backupId of doomed) {
        try {
          await o.deleteBackup(policy.tenantId, backupId);
          report.deleted.push({ policyId: policy.id, backupId });
          log('info', `policy ${policy.name}: retention deletes backup ${backupId}`, { policyId: policy.id, backupId });
        } catch (err) {
          // One mutating job per resource: the next deletion waits for a later pass.
          if (isHoldfastError(err, 'CONFLICT')) report.waiting.push({ policyId: policy.id, resourceId });
          else log('error', `policy ${policy.name}: deleting backup ${backupId} failed: ${errorMessage(err)}`);
          break;
        }
      }
    }
  };

  const visit = async (policy: Policy, report: PassReport): Promise<void> => {
    const now = msOf(o.clock);
    const next = nextRunAfter(policy.schedule, policy.timezone, now);
    if (policy.nextRunAt === null) await o.catalog.policies.claimRun(policy.id, null, next, false);
    else if (Date.parse(policy.nextRunAt) <= now && (await o.catalog.policies.claimRun(policy.id, policy.nextRunAt, next, true))) await fire(policy, report);
    await retain(policy, report);
  };

  const runOnce = async (): Promise<PassReport> => {
    const report: PassReport = { fired: [], skipped: [], deleted: [], waiting: [] };
    for (const policy of await o.catalog.policies.listAll()) {
      await visit(policy, report).catch((err: unknown) => log('error', `policy ${policy.name}: ${errorMessage(err)}`, { policyId: policy.id }));
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
