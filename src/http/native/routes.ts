/** The native REST API under /v1; each area registers its routes from its own file. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { adminRoutes } from './admin.js';
import { bearerAuth } from './auth.js';
import { backupRoutes } from './backups.js';
import { jobRoutes } from './jobs.js';
import { maskAnswer } from './mask.js';
import { resourceRoutes } from './resources.js';

export async function nativeRoutes(server: FastifyInstance, app: AppContext): Promise<void> {
  server.addHook('onRequest', bearerAuth(app));
  server.addHook('preSerialization', maskAnswer);
  await resourceRoutes(server, app);
  await backupRoutes(server, app);
  await jobRoutes(server, app);
  await adminRoutes(server, app);
}
