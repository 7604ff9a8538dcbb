/**
 * The Oracle PaaS APIs, mounted at /paas: Database Classic storage snapshots
 * and the activity log (snapshots.ts) and the DBCS / Exadata backup API
 * (dbcs-backups.ts, dbcs-recovery.ts). Every answer carries the CORS headers
 * of Oracle's own answers and is JSON; OPTIONS preflights answer without
 * credentials. Every other request authenticates (auth.ts) before its body,
 * kept raw until then, is parsed: a body that is not JSON is a 400, and no
 * refused request reaches the core.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../app/context.js';
import { keepRawBodies, parseBoundedJson } from '../../json-body.js';
import { authenticatePaas } from './auth.js';
import { dbcsBackupRoutes } from './dbcs-backups.js';
import { dbcsInstanceRoutes } from './dbcs-instance.js';
import { dbcsRecoveryRoutes } from './dbcs-recovery.js';
import { paasErrorHandler } from './errors.js';
import { PAAS_PREFIX } from './replies.js';
import { snapshotRoutes } from './snapshots.js';

export { PAAS_PREFIX };

/** Oracle's answers carry these (seed 001); the allowed headers are Oracle's list. */
export const CORS_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'Content-Type, api_key, Authorization, X-ID-TENANT-NAME, X-USER-IDENTITY-DOMAIN-NAME',
  'access-control-allow-methods': 'GET, POST, DELETE, PUT, OPTIONS, HEAD',
});

const FIXED_HEADERS = { ...CORS_HEADERS, 'x-frame-options': 'DENY', 'content-language': 'en' };

/** The raw body as JSON: nothing (or only spaces) is an empty object, anything unparsable a 400. */
function parseBody(request: FastifyRequest): unknown {
  const text = request.rawBody?.toString('utf8') ?? '';
  if (text.trim() === '') return request.method === 'POST' || request.method === 'PUT' ? {} : undefined;
  return parseBoundedJson(text);
}

async function authenticatedRoutes(server: FastifyInstance, app: AppContext): Promise<void> {
  server.addHook('preValidation', async (request) => {
    request.paasCaller = await authenticatePaas(app, request);
    request.body = parseBody(request);
  });
  await snapshotRoutes(server, app);
  await dbcsBackupRoutes(server, app);
  await dbcsInstanceRoutes(server, app);
  await dbcsRecoveryRoutes(server, app);
}

export async function oraclePaasRoutes(server: FastifyInstance, app: AppContext): Promise<void> {
  keepRawBodies(server);
  server.setErrorHandler(paasErrorHandler);
  server.addHook('onRequest', async (_request, reply) => {
    void reply.headers(FIXED_HEADERS).type('application/json');
  });
  server.setNotFoundHandler((_req, reply) => {
    void reply.status(404).send({ status: 'Failed', details: { message: 'No such resource.' } });
  });
  server.options('/*', { schema: { hide: true } }, async (_request, reply) => reply.status(204).send());
  await server.register((instance) => authenticatedRoutes(instance, app));
}
