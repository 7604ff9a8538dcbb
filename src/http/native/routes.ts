/** The native REST API under /v1: resources, backups, restores and jobs. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { createResource, deleteResource, getResource, updateResource } from '../../app/resources.js';
import { cancelJob, getBackup, getJob, requestBackup, requestRestore } from '../../app/backups.js';
import { bearerAuth, principalOf } from './auth.js';

const id = { type: 'object', properties: { id: { type: 'string', maxLength: 100 } }, required: ['id'] } as const;
const page = { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, after: { type: 'string', maxLength: 200 } }, additionalProperties: false } as const;
const resourceBody = {
  type: 'object', required: ['name', 'driver', 'config'], additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, driver: { type: 'string', maxLength: 50 }, config: { type: 'object' }, aliases: { type: 'object', additionalProperties: { type: 'string' } } },
} as const;
const resourcePatch = {
  type: 'object', additionalProperties: false, minProperties: 1,
  properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, config: { type: 'object' }, aliases: { type: 'object', additionalProperties: { type: 'string' } } },
} as const;
const backupBody = {
  type: 'object', required: ['resourceId'], additionalProperties: false,
  properties: {
    resourceId: { type: 'string', maxLength: 100 }, type: { enum: ['FULL', 'INCREMENTAL'] }, name: { type: 'string', maxLength: 255 },
    description: { type: 'string', maxLength: 4000 }, keepForever: { type: 'boolean' }, tags: { type: 'object' },
  },
} as const;

export async function nativeRoutes(server: FastifyInstance, app: AppContext): Promise<void> {
  server.addHook('onRequest', bearerAuth(app));

  server.post('/resources', { schema: { body: resourceBody } }, async (req, reply) => {
    const body = req.body as { name: string; driver: string; config: unknown; aliases?: Record<string, string> };
    return reply.status(201).send(await createResource(app, principalOf(req), body));
  });
  server.get('/resources', { schema: { querystring: page } }, async (req) => {
    const q = req.query as { limit: number; after?: string };
    return app.catalog.resources.list(principalOf(req).tenantId, q);
  });
  server.get('/resources/:id', { schema: { params: id } }, async (req) => getResource(app, principalOf(req), (req.params as { id: string }).id));
  server.patch('/resources/:id', { schema: { params: id, body: resourcePatch } }, async (req) =>
    updateResource(app, principalOf(req), (req.params as { id: string }).id, req.body as { name?: string; config?: unknown }));
  server.delete('/resources/:id', { schema: { params: id } }, async (req, reply) => {
    await deleteResource(app, principalOf(req), (req.params as { id: string }).id);
    return reply.status(204).send();
  });

  server.post('/backups', { schema: { body: backupBody } }, async (req, reply) => {
    const created = await requestBackup(app, principalOf(req), req.body as { resourceId: string });
    return reply.status(202).send({ ...created.backup, job: created.job });
  });
  server.get('/backups/:id', { schema: { params: id } }, async (req) => getBackup(app, principalOf(req), (req.params as { id: string }).id));
  server.post('/backups/:id/restore', { schema: { params: id, body: { type: 'object', properties: { target: { type: 'object' } }, additionalProperties: false } } }, async (req, reply) => {
    const job = await requestRestore(app, principalOf(req), (req.params as { id: string }).id, (req.body as { target?: unknown } | undefined)?.target);
    return reply.status(202).send(job);
  });

  server.get('/jobs/:id', { schema: { params: id } }, async (req) => getJob(app, principalOf(req), (req.params as { id: string }).id));
  server.post('/jobs/:id/cancel', { schema: { params: id } }, async (req) => cancelJob(app, principalOf(req), (req.params as { id: string }).id));
}
