/** /v1/resources: the inventory. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { createResource, deleteResource, getResource, updateResource } from '../../app/resources.js';
import { principalOf } from './auth.js';
import { idempotent } from './idempotency.js';
import { idOf, idParams, pageQuery } from './schemas.js';

const resourceBody = {
  type: 'object', required: ['name', 'driver', 'config'], additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, driver: { type: 'string', maxLength: 50 }, config: { type: 'object' }, aliases: { type: 'object', additionalProperties: { type: 'string' } } },
} as const;
const resourcePatch = {
  type: 'object', additionalProperties: false, minProperties: 1,
  properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, config: { type: 'object' }, aliases: { type: 'object', additionalProperties: { type: 'string' } } },
} as const;

export async function resourceRoutes(server: FastifyInstance, app: AppContext): Promise<void> {
  server.post('/resources', { schema: { body: resourceBody } }, idempotent(app, async (req) => {
    const body = req.body as { name: string; driver: string; config: unknown; aliases?: Record<string, string> };
    return { status: 201, body: await createResource(app, principalOf(req), body) };
  }));
  server.get('/resources', { schema: { querystring: pageQuery } }, async (req) => {
    const q = req.query as { limit: number; after?: string };
    return app.catalog.resources.list(principalOf(req).tenantId, q);
  });
  server.get('/resources/:id', { schema: { params: idParams } }, async (req) => getResource(app, principalOf(req), idOf(req)));
  server.patch('/resources/:id', { schema: { params: idParams, body: resourcePatch } }, async (req) =>
    updateResource(app, principalOf(req), idOf(req), req.body as { name?: string; config?: unknown }));
  server.delete('/resources/:id', { schema: { params: idParams } }, async (req, reply) => {
    await deleteResource(app, principalOf(req), idOf(req));
    return reply.status(204).send();
  });
}
