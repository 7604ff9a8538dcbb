/** /v1/jobs: the asynchronous work every create answers with. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { cancelJob, getJob, listJobs } from '../../app/backups.js';
import type { JobFilter } from '../../catalog/index.js';
import { principalOf } from './auth.js';
import { jobEventRoute } from './job-events.js';
import { idOf, idParams, pageQuery } from './schemas.js';

const listQuery = {
  type: 'object', additionalProperties: false,
  properties: {
    ...pageQuery.properties, resourceId: { type: 'string', maxLength: 100 }, kind: { type: 'string', maxLength: 50 },
    state: { enum: ['ACCEPTED', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'CANCELED'] },
  },
} as const;

export async function jobRoutes(server: FastifyInstance, app: AppContext): Promise<void> {
  server.get('/jobs', { schema: { querystring: listQuery } }, async (req) => {
    const { limit, after, ...filter } = req.query as JobFilter & { limit: number; after?: string };
    return listJobs(app, principalOf(req), filter, after === undefined ? { limit } : { limit, after });
  });
  server.get('/jobs/:id', { schema: { params: idParams } }, async (req) => getJob(app, principalOf(req), idOf(req)));
  server.post('/jobs/:id/cancel', { schema: { params: idParams } }, async (req) => cancelJob(app, principalOf(req), idOf(req)));
  jobEventRoute(server, app);
}
