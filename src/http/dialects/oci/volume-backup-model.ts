/**
 * The VolumeBackup resource (oci.md §1.4) rendered from a Holdfast backup.
 * The lifecycle comes from one mapping table over the backup's state (and,
 * while it is being made, its job's). OCI attributes that Holdfast has no
 * field for (compartment, defined tags, KMS key) live in `extra.oci`.
 */
import { createHash } from 'node:crypto';
import type { Backup, BackupState, JobState } from '../../../catalog/index.js';
import { toOcid, VOLUME, VOLUME_BACKUP } from './ocids.js';

export type VolumeBackupState = 'REQUEST_RECEIVED' | 'CREATING' | 'AVAILABLE' | 'FAULTY' | 'TERMINATING' | 'TERMINATED';

/** How long a deleted backup is still shown as TERMINATED, as OCI does (its waiters poll for that state). */
export const TERMINATED_VISIBLE_MS = 60 * 60 * 1000;

const LIFECYCLE: Readonly<Record<BackupState, VolumeBackupState>> = {
  CREATING: 'CREATING', AVAILABLE: 'AVAILABLE', FAILED: 'FAULTY', DELETING: 'TERMINATING', DELETED: 'TERMINATED',
};

export interface OciBackupAttributes {
  compartmentId?: string;
  definedTags?: Record<string, Record<string, unknown>>;
  kmsKeyId?: string;
}

export function ociAttributes(backup: Backup): OciBackupAttributes {
  const oci = backup.extra['oci'];
  return typeof oci === 'object' && oci !== null ? (oci as OciBackupAttributes) : {};
}

export function lifecycleOf(backup: Backup, jobState: JobState | undefined): VolumeBackupState {
  if (backup.state === 'CREATING' && jobState === 'ACCEPTED') return 'REQUEST_RECEIVED';
  return LIFECYCLE[backup.state];
}

/** Whether OCI would still show the backup: everything but a TERMINATED one deleted longer ago than the window. */
export function isVisible(backup: Backup, nowMs: number): boolean {
  if (backup.state !== 'DELETED') return true;
  const deleted = backup.extra['timeDeleted'];
  return typeof deleted === 'string' && nowMs - Date.parse(deleted) < TERMINATED_VISIBLE_MS;
}

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

function sizes(backup: Backup): Record<string, number> {
  const out: Record<string, number> = {};
  if (backup.logicalBytes !== null) Object.assign(out, { sizeInGBs: Math.ceil(backup.logicalBytes / GIB), sizeInMBs: Math.ceil(backup.logicalBytes / MIB) });
  if (backup.storedBytes !== null) Object.assign(out, { uniqueSizeInGBs: Math.ceil(backup.storedBytes / GIB), uniqueSizeInMbs: Math.ceil(backup.storedBytes / MIB) });
  return out;
}

function freeformTags(backup: Backup): Record<string, string> {
  return Object.fromEntries(Object.entries(backup.tags).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function provenance(backup: Backup): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const source = backup.extra['sourceBackupId'];
  if (typeof source === 'string') out['sourceVolumeBackupId'] = toOcid(VOLUME_BACKUP, source);
  if (backup.expiresAt !== null) out['expirationTime'] = backup.expiresAt;
  const snapshot = backup.snapshotIds[0];
  out['systemTags'] = snapshot === undefined ? {} : { 'holdfast': { resticSnapshotId: snapshot } };
  return out;
}

export function renderVolumeBackup(backup: Backup, jobState: JobState | undefined, compartmentId: string): Record<string, unknown> {
  const oci = ociAttributes(backup);
  return {
    id: toOcid(VOLUME_BACKUP, backup.id), compartmentId: oci.compartmentId ?? compartmentId, displayName: backup.name,
    lifecycleState: lifecycleOf(backup, jobState), type: backup.type, sourceType: backup.source,
    volumeId: toOcid(VOLUME, backup.resourceId), timeRequestReceived: backup.timeRequested, timeCreated: backup.timeImaged ?? backup.timeRequested,
    ...sizes(backup), freeformTags: freeformTags(backup), definedTags: oci.definedTags ?? {},
    ...(oci.kmsKeyId === undefined ? {} : { kmsKeyId: oci.kmsKeyId }), ...provenance(backup),
  };
}

/** The etag of a representation: it changes whenever anything in the answer does. */
export function etagOf(model: unknown): string {
  return createHash('sha256').update(JSON.stringify(model)).digest('hex').slice(0, 32);
}
