/** JSON schemas of OCI request bodies and queries; unknown fields pass and are ignored, as OCI does. */
export const freeformTags = { type: 'object', maxProperties: 64, additionalProperties: { type: 'string', maxLength: 256 } } as const;
export const definedTags = { type: 'object', maxProperties: 64, additionalProperties: { type: 'object', maxProperties: 64 } } as const;
const displayName = { type: 'string', minLength: 1, maxLength: 255 } as const;
const ocid = { type: 'string', minLength: 1, maxLength: 255 } as const;

export const idParam = { type: 'object', required: ['id'], properties: { id: ocid } } as const;

export const createVolumeBackupBody = {
  type: 'object', required: ['volumeId'],
  properties: { volumeId: ocid, displayName, type: { enum: ['FULL', 'INCREMENTAL'] }, kmsKeyId: ocid, freeformTags, definedTags },
} as const;

export const updateVolumeBackupBody = {
  type: 'object', properties: { displayName, kmsKeyId: ocid, freeformTags, definedTags },
} as const;

export const changeCompartmentBody = { type: 'object', required: ['compartmentId'], properties: { compartmentId: ocid } } as const;

export const copyVolumeBackupBody = {
  type: 'object', required: ['destinationRegion'],
  properties: { destinationRegion: { type: 'string', minLength: 1, maxLength: 64 }, displayName, kmsKeyId: ocid },
} as const;

export const listVolumeBackupsQuery = {
  type: 'object',
  properties: {
    compartmentId: ocid, volumeId: ocid, displayName, sourceVolumeBackupId: ocid, lifecycleState: { type: 'string', maxLength: 32 },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, page: { type: 'string', maxLength: 2048 },
    sortBy: { enum: ['TIMECREATED', 'DISPLAYNAME'] }, sortOrder: { enum: ['ASC', 'DESC'] },
  },
} as const;

export interface TagFields {
  readonly freeformTags?: Record<string, string>;
  readonly definedTags?: Record<string, Record<string, unknown>>;
  readonly kmsKeyId?: string;
  readonly displayName?: string;
}
