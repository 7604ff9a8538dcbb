/**
 * Oracle's predefined volume backup policies, gold, silver and bronze, as
 * OCI documents them (Policy-Based Backups): bronze backs up incrementally on
 * the 1st of each month (kept 12 months) and fully each 1 January (kept 5
 * years); silver adds a weekly incremental backup on Sunday (kept 4 weeks);
 * gold adds a daily incremental backup (kept 7 days). Every tenant sees them
 * (ListVolumeBackupPolicies without a compartment, compartmentId null); they
 * cannot be changed. Their OCIDs are fixed, the same on every server.
 */
import { createHash } from 'node:crypto';
import { toOcid, VOLUME_BACKUP_POLICY } from './ocids.js';
import type { OciSchedule } from './backup-schedules.js';

export interface PredefinedPolicy {
  readonly name: 'gold' | 'silver' | 'bronze';
  readonly ocid: string;
  readonly schedules: readonly OciSchedule[];
}

const DAY = 86_400;
const at = (s: Omit<OciSchedule, 'offsetType' | 'hourOfDay' | 'timeZone'>): OciSchedule => ({ ...s, offsetType: 'STRUCTURED', hourOfDay: 0, timeZone: 'UTC' });
const DAILY = at({ backupType: 'INCREMENTAL', period: 'ONE_DAY', retentionSeconds: 7 * DAY });
const WEEKLY = at({ backupType: 'INCREMENTAL', period: 'ONE_WEEK', dayOfWeek: 'SUNDAY', retentionSeconds: 28 * DAY });
const MONTHLY = at({ backupType: 'INCREMENTAL', period: 'ONE_MONTH', dayOfMonth: 1, retentionSeconds: 365 * DAY });
const YEARLY = at({ backupType: 'FULL', period: 'ONE_YEAR', dayOfMonth: 1, month: 'JANUARY', retentionSeconds: 5 * 365 * DAY });

/** When OCI says the predefined policies were made; any fixed instant will do, it only has to stay the same. */
export const PREDEFINED_TIME_CREATED = '2017-01-01T00:00:00.000Z';

function ocidOf(name: string): string {
  return toOcid(VOLUME_BACKUP_POLICY, `pol_${createHash('sha256').update(`holdfast predefined volume backup policy ${name}`).digest('hex').slice(0, 24)}`);
}

export const PREDEFINED: readonly PredefinedPolicy[] = Object.freeze([
  { name: 'gold', ocid: ocidOf('gold'), schedules: [DAILY, WEEKLY, MONTHLY, YEARLY] },
  { name: 'silver', ocid: ocidOf('silver'), schedules: [WEEKLY, MONTHLY, YEARLY] },
  { name: 'bronze', ocid: ocidOf('bronze'), schedules: [MONTHLY, YEARLY] },
]);

export function predefinedByOcid(ocid: string): PredefinedPolicy | undefined {
  return PREDEFINED.find((p) => p.ocid === ocid);
}

export function predefinedByName(name: string): PredefinedPolicy | undefined {
  return PREDEFINED.find((p) => p.name === name);
}
