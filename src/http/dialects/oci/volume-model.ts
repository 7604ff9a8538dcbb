/**
 * The Volume resource (oci.md §1.6) rendered from a Holdfast volume. The
 * lifecycle comes from one mapping table over the core's volume state; OCI
 * attributes Holdfast has no field for (compartment, availability domain,
 * display name, tags, KMS key) live in the resource's attributes. Display
 * names are OCI's (not unique), so they are not the resource's name.
 */
import type { Resource } from '../../../catalog/index.js';
import { SOURCE_BACKUP_ATTRIBUTE, type VolumeState, type VolumeView } from '../../../app/volumes.js';
import { toOcid, VOLUME, VOLUME_BACKUP } from './ocids.js';

export type OciVolumeState = 'PROVISIONING' | 'RESTORING' | 'AVAILABLE' | 'TERMINATING' | 'TERMINATED' | 'FAULTY';

export const OCI_VOLUME_STATES: readonly OciVolumeState[] = ['PROVISIONING', 'RESTORING', 'AVAILABLE', 'TERMINATING', 'TERMINATED', 'FAULTY'];

const LIFECYCLE: Readonly<Record<VolumeState, OciVolumeState>> = {
  RESTORING: 'RESTORING', AVAILABLE: 'AVAILABLE', FAILED: 'FAULTY', DELETED: 'TERMINATED',
};

/** How long a deleted volume is still shown as TERMINATED, as OCI does (its waiters poll for that state). */
export const TERMINATED_VOLUME_VISIBLE_MS = 60 * 60 * 1000;

/** A volume's availability domain when none was given: Holdfast has one. */
export const DEFAULT_AVAILABILITY_DOMAIN = 'AD-1';

/** The resource attributes this dialect keeps on a volume. */
export const ATTR = {
  availabilityDomain: 'ociAvailabilityDomain',
  displayName: 'ociDisplayName',
  freeformTags: 'ociFreeformTags',
  definedTags: 'ociDefinedTags',
  kmsKeyId: 'ociKmsKeyId',
} as const;

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

function text(resource: Resource, key: string): string | undefined {
  const v = resource.attributes[key];
  return typeof v === 'string' ? v : undefined;
}

function record(resource: Resource, key: string): Record<string, unknown> {
  const v = resource.attributes[key];
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function optional(resource: Resource): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const source = text(resource, SOURCE_BACKUP_ATTRIBUTE);
  if (source !== undefined) out['sourceDetails'] = { type: 'volumeBackup', id: toOcid(VOLUME_BACKUP, source) };
  const kms = text(resource, ATTR.kmsKeyId);
  if (kms !== undefined) out['kmsKeyId'] = kms;
  return out;
}

export function renderVolume(view: VolumeView, compartmentId: string): Record<string, unknown> {
  const r = view.resource;
  return {
    id: toOcid(VOLUME, r.id), compartmentId, availabilityDomain: text(r, ATTR.availabilityDomain) ?? DEFAULT_AVAILABILITY_DOMAIN,
    displayName: text(r, ATTR.displayName) ?? r.name, lifecycleState: LIFECYCLE[view.state],
    sizeInMBs: Math.ceil(view.sizeBytes / MIB), sizeInGBs: Math.ceil(view.sizeBytes / GIB),
    timeCreated: r.createdAt, isHydrated: view.state === 'AVAILABLE',
    freeformTags: record(r, ATTR.freeformTags), definedTags: record(r, ATTR.definedTags), systemTags: {},
    ...optional(r),
  };
}
