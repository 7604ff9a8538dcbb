/** JSON schemas of the volume backup policy and assignment requests; unknown fields pass and are ignored, as OCI does. */
import { scheduleSchema } from './backup-schedules.js';
import { definedTags, freeformTags } from './schemas.js';

const ocid = { type: 'string', minLength: 1, maxLength: 255 } as const;
const displayName = { type: 'string', minLength: 1, maxLength: 255 } as const;
const limit = { type: 'integer', minimum: 1, maximum: 1000, default: 100 } as const;
const page = { type: 'string', maxLength: 2048 } as const;

/** OCI lets a policy have a handful of schedules; 32 is far above any real one and bounds the work of one request. */
const schedules = { type: 'array', maxItems: 32, items: scheduleSchema } as const;
const destinationRegion = { type: 'string', minLength: 1, maxLength: 64 } as const;

export const policyIdParam = { type: 'object', required: ['policyId'], properties: { policyId: ocid } } as const;
export const assignmentIdParam = { type: 'object', required: ['policyAssignmentId'], properties: { policyAssignmentId: ocid } } as const;

export const createPolicyBody = {
  type: 'object', required: ['compartmentId'],
  properties: { compartmentId: ocid, displayName, destinationRegion, schedules, freeformTags, definedTags },
} as const;

export const updatePolicyBody = { type: 'object', properties: { displayName, destinationRegion, schedules, freeformTags, definedTags } } as const;

export const listPoliciesQuery = { type: 'object', properties: { compartmentId: ocid, limit, page } } as const;

export const createAssignmentBody = {
  type: 'object', required: ['assetId', 'policyId'], properties: { assetId: ocid, policyId: ocid, xrcKmsKeyId: ocid },
} as const;

export const assetAssignmentQuery = { type: 'object', properties: { assetId: ocid, limit, page } } as const;
