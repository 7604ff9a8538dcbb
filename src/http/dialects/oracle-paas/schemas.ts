/**
 * JSON schemas of the Oracle PaaS paths and bodies. Unknown body fields pass
 * and are ignored (Oracle's own clients send more than is documented, e.g.
 * `backupTag`); booleans may come as "true"/"false" (the server's ajv coerces).
 */
const name = { type: 'string', minLength: 1, maxLength: 255 } as const;
const jobNumber = { type: 'string', pattern: '^[0-9]{1,20}$' } as const;

const snapshotName = { type: 'string', minLength: 1, maxLength: 64 } as const;

/** A route's path parameters, each required: exactly the ones its path has (OpenAPI wants no more). */
function params<const K extends string>(shapes: Record<K, object>): { type: 'object'; required: K[]; properties: Record<K, object> } {
  return { type: 'object', required: Object.keys(shapes) as K[], properties: shapes };
}

export const instanceParams = params({ identityDomainId: name, serviceId: name });
export const snapshotParams = params({ identityDomainId: name, serviceId: name, snapshotName });
export const snapshotJobParams = params({ identityDomainId: name, serviceId: name, jobId: jobNumber });
export const domainJobParams = params({ identityDomainId: name, jobId: jobNumber });
export const statusJobParams = params({ identityDomainId: name, requestName: { type: 'string', maxLength: 32 }, jobId: jobNumber });

/** A snapshot name is part of URLs: letters, digits, `_`, `-` and `.`, starting with a letter or digit. */
export const createSnapshotBody = {
  type: 'object', required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
    description: { type: 'string', maxLength: 1024 },
  },
} as const;

export const startBackupBody = {
  type: 'object', properties: { keepForever: { type: 'boolean' } },
} as const;

export const recoveryBody = {
  type: 'object',
  properties: {
    latest: { anyOf: [{ type: 'boolean' }, { type: 'string', maxLength: 5 }] },
    tag: { type: 'string', minLength: 1, maxLength: 64 },
    timestamp: { type: 'string', minLength: 1, maxLength: 40 },
    scn: {},
    keepForever: { type: 'boolean' },
  },
} as const;
