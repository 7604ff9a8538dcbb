/**
 * The OCI Core API (version 20160918), mounted at /20160918: requests signed
 * with OCI API keys (auth.ts), answers with `opc-request-id` on every reply
 * and OCI's error bodies. The body is kept raw until the signature (which
 * covers its hash) is verified, and only then parsed as JSON.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../app/context.js';
import { fail } from '../../../common/errors.js';
import { jsonDepth, MAX_JSON_DEPTH } from '../../json-body.js';
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
  const text = raw.toString('utf8');
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw fail('INVALID_ARGUMENT', `The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels.`, { data: { ociCode: 'CannotParseRequest' } });
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw fail('INVALID_ARGUMENT', 'The request body is not valid JSON.', { data: { ociCode: 'CannotParseRequest' } });
  }
}

export async function ociRoutes(server: FastifyInstance, app: AppContext): Promise<void> {
  server.removeAllContentTypeParsers();
  server.addContentTypeParser('*', { parseAs: 'buffer' }, (request: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) => {
    request.rawBody = body;
    done(null, undefined);
  });
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
