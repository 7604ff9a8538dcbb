/** /v1/jobs: the asynchronous work every create answers with. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { cancelJob, getJob } from '../../app/backups.js';
import { principalOf } from './auth.js';
import { idOf, idParams } from './schemas.js';

export async function jobRoutes(server: FastifyInstance, app: AppContext): Promise<void> {
  server.get('/jobs/:id', { schema: { params: idParams } }, async (req) => getJob(app, principalOf(req), idOf(req)));
  server.post('/jobs/:id/cancel', { schema: { params: idParams } }, async (req) => cancelJob(app, principalOf(req), idOf(req)));
}
