/** /v1/backups: create, list, read, delete and restore backups. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { getBackup, listBackups, requestBackup, requestDelete, requestRestore } from '../../app/backups.js';
import type { BackupFilter } from '../../catalog/index.js';
import { principalOf } from './auth.js';
import { idempotent } from './idempotency.js';
import { idOf, idParams, pageQuery } from './schemas.js';

const backupBody = {
  type: 'object', required: ['resourceId'], additionalProperties: false,
  properties: {
    resourceId: { type: 'string', maxLength: 100 }, type: { enum: ['FULL', 'INCREMENTAL'] }, name: { type: 'string', maxLength: 255 },
    description: { type: 'string', maxLength: 4000 }, keepForever: { type: 'boolean' }, tags: { type: 'object' },
  },
} as const;
const restoreBody = { type: 'object', properties: { target: { type: 'object' } }, additionalProperties: false } as const;
const listQuery = {
  type: 'object', additionalProperties: false,
  properties: {
    ...pageQuery.properties, resourceId: { type: 'string', maxLength: 100 },
    state: { enum: ['CREATING', 'AVAILABLE', 'FAILED', 'DELETING', 'DELETED'] }, type: { enum: ['FULL', 'INCREMENTAL'] }, source: { enum: ['MANUAL', 'SCHEDULED'] },
  },
} as const;

export async function backupRoutes(server: FastifyInstance, app: AppContext): Promise<void> {
  server.post('/backups', { schema: { body: backupBody } }, idempotent(app, async (req) => {
    const created = await requestBackup(app, principalOf(req), req.body as { resourceId: string });
    return { status: 202, body: { ...created.backup, job: created.job } };
  }));
  server.get('/backups', { schema: { querystring: listQuery } }, async (req) => {
    const { limit, after, ...filter } = req.query as BackupFilter & { limit: number; after?: string };
    return listBackups(app, principalOf(req), filter, after === undefined ? { limit } : { limit, after });
  });
  server.get('/backups/:id', { schema: { params: idParams } }, async (req) => getBackup(app, principalOf(req), idOf(req)));
  server.delete('/backups/:id', { schema: { params: idParams } }, idempotent(app, async (req) => ({ status: 202, body: await requestDelete(app, principalOf(req), idOf(req)) })));
  server.post('/backups/:id/restore', { schema: { params: idParams, body: restoreBody } }, idempotent(app, async (req) => {
    const job = await requestRestore(app, principalOf(req), idOf(req), (req.body as { target?: unknown } | undefined)?.target);
    return { status: 202, body: job };
  }));
}
