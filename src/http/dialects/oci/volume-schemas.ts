/**
 * JSON schemas of the /volumes requests; unknown fields pass and are ignored,
 * as OCI does. compartmentId is checked by the route, not here, so that its
 * absence answers OCI's MissingParameter rather than InvalidParameter.
 */
import { definedTags, freeformTags } from './schemas.js';

const displayName = { type: 'string', minLength: 1, maxLength: 255 } as const;
const ocid = { type: 'string', minLength: 1, maxLength: 255 } as const;

/** Polymorphic on `type` (volumeBackup | volume | blockVolumeReplica | volumeBackupDelta); the route says which it takes. */
const sourceDetails = {
  type: 'object', required: ['type'], properties: { type: { type: 'string', minLength: 1, maxLength: 64 }, id: ocid },
} as const;

export const createVolumeBody = {
  type: 'object',
  properties: {
    compartmentId: ocid, availabilityDomain: { type: 'string', minLength: 1, maxLength: 255 }, displayName,
    sourceDetails, volumeBackupId: ocid, kmsKeyId: ocid, freeformTags, definedTags,
    sizeInGBs: { type: 'integer', minimum: 0 }, sizeInMBs: { type: 'integer', minimum: 0 }, vpusPerGB: { type: 'integer', minimum: 0 },
  },
} as const;

export const updateVolumeBody = {
  type: 'object', properties: { displayName, freeformTags, definedTags },
} as const;

export const listVolumesQuery = {
  type: 'object',
  properties: {
    compartmentId: ocid, availabilityDomain: { type: 'string', maxLength: 255 }, displayName, lifecycleState: { type: 'string', maxLength: 32 },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, page: { type: 'string', maxLength: 2048 },
    sortBy: { enum: ['TIMECREATED', 'DISPLAYNAME'] }, sortOrder: { enum: ['ASC', 'DESC'] },
  },
} as const;

export interface CreateVolumeBody {
  readonly compartmentId?: string;
  readonly availabilityDomain?: string;
  readonly displayName?: string;
  readonly sourceDetails?: { readonly type: string; readonly id?: string };
  readonly volumeBackupId?: string;
  readonly kmsKeyId?: string;
  readonly freeformTags?: Record<string, string>;
  readonly definedTags?: Record<string, Record<string, unknown>>;
}

export interface UpdateVolumeBody {
  readonly displayName?: string;
  readonly freeformTags?: Record<string, string>;
  readonly definedTags?: Record<string, Record<string, unknown>>;
}

export interface VolumeListQuery {
  readonly compartmentId?: string;
  readonly availabilityDomain?: string;
  readonly displayName?: string;
  readonly lifecycleState?: string;
  readonly limit: number;
  readonly page?: string;
  readonly sortBy?: 'TIMECREATED' | 'DISPLAYNAME';
  readonly sortOrder?: 'ASC' | 'DESC';
}
