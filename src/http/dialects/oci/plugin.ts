/**
 * The OCI Core API (version 20160918), mounted at /20160918: requests signed
 * with OCI API keys (auth.ts), answers with `opc-request-id` on every reply
 * and OCI's error bodies. The body is kept raw until the signature (which
 * covers its hash) is verified, and only then parsed as JSON.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../app/context.js';
import { fail } from '../../../common/errors.js';
import { keepRawBodies, parseBoundedJson } from '../../json-body.js';
import { authenticateOci } from './auth.js';
import { ociErrorHandler, ociRequestId } from './errors.js';
import { policyRoutes } from './policies.js';
import { volumeBackupCopyRoutes } from './volume-backup-copy.js';
import { volumeBackupRoutes } from './volume-backups.js';
import { volumeRoutes } from './volumes.js';

export const OCI_PREFIX = '/20160918';

function parseBody(request: FastifyRequest): unknown {
  const raw = request.rawBody;
  if (raw === undefined || raw.length === 0) return undefined;
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw fail('INVALID_ARGUMENT', 'The request body must be JSON (content-type: application/json).', { data: { ociCode: 'CannotParseRequest' } });
  return parseBoundedJson(raw.toString('utf8'), { ociCode: 'CannotParseRequest' });
}

export async function ociRoutes(server: FastifyInstance, app: AppContext): Promise<void> {
  keepRawBodies(server);
  server.setErrorHandler(ociErrorHandler);
  server.setNotFoundHandler((_req, reply) => { void reply.status(404).send({ code: 'NotFound', message: 'No such operation.' }); });
  server.addHook('onRequest', async (request, reply) => {
    void reply.header('opc-request-id', ociRequestId(request)).type('application/json');
  });
  server.addHook('preValidation', async (request) => {
    request.principal = await authenticateOci(app, request);
    request.body = parseBody(request);
  });
  await volumeBackupRoutes(server, app);
  await volumeBackupCopyRoutes(server, app);
  await volumeRoutes(server, app);
  await policyRoutes(server, app);
}
