/** The HTTP server: Fastify with the native API under /v1 and health probes. */
import Fastify, { type FastifyInstance } from 'fastify';
import type { AppContext } from '../app/context.js';
import { errorHandler } from './errors.js';
import { useBoundedJsonParser } from './json-body.js';
import { nativeRoutes } from './native/routes.js';

export interface ServerOptions {
  /** pino options, or false for no request logging (tests). */
  readonly logger?: boolean | Record<string, unknown>;
}

/** Header and body fields whose values never reach a log line (headers of every dialect's auth scheme: Basic/Bearer/OCI signatures, OTC tokens). */
export const REDACTED_PATHS = [
  'req.headers.authorization', 'req.headers["proxy-authorization"]', 'req.headers["x-api-key"]', 'req.headers["x-auth-token"]',
  'req.headers["x-subject-token"]', 'req.headers["x-security-token"]', 'req.headers.cookie', 'res.headers["set-cookie"]',
  'password', '*.password', '*.*.password', 'token', '*.token', '*.*.token', 'secret', '*.secret',
];

export async function buildServer(app: AppContext, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const logger = opts.logger === false ? false : { level: 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, ...(typeof opts.logger === 'object' ? opts.logger : {}) };
  const server = Fastify({ logger, bodyLimit: 1024 * 1024, ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } } });
  server.setErrorHandler(errorHandler);
  useBoundedJsonParser(server);
  server.setNotFoundHandler((_req, reply) => { void reply.status(404).send({ code: 'NOT_FOUND', message: 'no such route' }); });
  server.get('/healthz', async () => ({ status: 'ok' }));
  server.get('/readyz', async () => ({ status: 'ready' }));
  await server.register((instance) => nativeRoutes(instance, app), { prefix: '/v1' });
  return server;
}
