/** /v1/backups: create, read and restore backups. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { getBackup, requestBackup, requestRestore } from '../../app/backups.js';
import { principalOf } from './auth.js';
import { idOf, idParams } from './schemas.js';

const backupBody = {
  type: 'object', required: ['resourceId'], additionalProperties: false,
  properties: {
    resourceId: { type: 'string', maxLength: 100 }, type: { enum: ['FULL', 'INCREMENTAL'] }, name: { type: 'string', maxLength: 255 },
    description: { type: 'string', maxLength: 4000 }, keepForever: { type: 'boolean' }, tags: { type: 'object' },
  },
} as const;
const restoreBody = { type: 'object', properties: { target: { type: 'object' } }, additionalProperties: false } as const;

export async function backupRoutes(server: FastifyInstance, app: AppContext): Promise<void> {
  server.post('/backups', { schema: { body: backupBody } }, async (req, reply) => {
    const created = await requestBackup(app, principalOf(req), req.body as { resourceId: string });
    return reply.status(202).send({ ...created.backup, job: created.job });
  });
  server.get('/backups/:id', { schema: { params: idParams } }, async (req) => getBackup(app, principalOf(req), idOf(req)));
  server.post('/backups/:id/restore', { schema: { params: idParams, body: restoreBody } }, async (req, reply) => {
    const job = await requestRestore(app, principalOf(req), idOf(req), (req.body as { target?: unknown } | undefined)?.target);
    return reply.status(202).send(job);
  });
}
