/** The HTTP server: Fastify with the native API under /v1, health probes, /metrics and the OpenAPI document at /docs. */
import Fastify, { type FastifyInstance } from 'fastify';
import type { AppContext } from '../app/context.js';
import { fail } from '../common/errors.js';
import { clientErrorHandler, frameworkErrors } from './early-errors.js';
import { errorHandler } from './errors.js';
import { useBoundedJsonParser } from './json-body.js';
import { createMetrics, metricsRoutes, type ServerMetrics } from './metrics.js';
import { nativeRoutes } from './native/routes.js';
import { OCI_PREFIX, ociRoutes } from './dialects/oci/plugin.js';
import { oraclePaasRoutes, PAAS_PREFIX } from './dialects/oracle-paas/plugin.js';
import { registerOpenApi } from './openapi.js';

export interface ServerOptions {
  /** pino options, or false for no request logging (tests). */
  readonly logger?: boolean | Record<string, unknown>;
  /** PEM certificate (chain) and key: the server speaks HTTPS only. */
  readonly https?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** The registry /metrics serves; made here when the caller has none to share with the job runner. */
  readonly metrics?: ServerMetrics;
}

/** Header and body fields whose values never reach a log line (headers of every dialect's auth scheme: Basic/Bearer/OCI signatures, OTC tokens). */
export const REDACTED_PATHS = [
  'req.headers.authorization', 'req.headers["proxy-authorization"]', 'req.headers["x-api-key"]', 'req.headers["x-auth-token"]',
  'req.headers["x-subject-token"]', 'req.headers["x-security-token"]', 'req.headers.cookie', 'res.headers["set-cookie"]',
  'password', '*.password', '*.*.password', 'token', '*.token', '*.*.token', 'secret', '*.secret',
];

/** How long /readyz waits for the catalog before answering 503. */
const READY_TIMEOUT_MS = 2000;

const probe = { tags: ['operations'] };

export async function buildServer(app: AppContext, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const logger = opts.logger === false ? false : { level: 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, ...(typeof opts.logger === 'object' ? opts.logger : {}) };
  // With `https` Fastify builds a node:https server; the instance is used only through the API both share.
  const server = Fastify({
    logger, bodyLimit: 1024 * 1024, ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
    clientErrorHandler, frameworkErrors,
    ...(opts.https === undefined ? {} : { https: { cert: opts.https.cert, key: opts.https.key } }),
  }) as unknown as FastifyInstance;
  server.setErrorHandler(errorHandler);
  useBoundedJsonParser(server);
  server.setNotFoundHandler((_req, reply) => { void reply.status(404).send({ code: 'NOT_FOUND', message: 'no such route' }); });
  // Before any route: swagger collects the routes registered after it, metrics times them all.
  await registerOpenApi(server);
  metricsRoutes(server, opts.metrics ?? createMetrics(app.catalog));
  server.get('/healthz', { schema: { ...probe, summary: 'Liveness: the process answers' } }, async () => ({ status: 'ok' }));
  server.get('/readyz', { schema: { ...probe, summary: 'Readiness: the catalog answers a query' } }, async (req) => {
    await catalogAnswers(app, req.log);
    return { status: 'ready' };
  });
  await server.register((instance) => nativeRoutes(instance, app), { prefix: '/v1' });
  await server.register((instance) => ociRoutes(instance, app), { prefix: OCI_PREFIX });
  await server.register((instance) => oraclePaasRoutes(instance, app), { prefix: PAAS_PREFIX });
  return server;
}

/** Resolves when the catalog answers a trivial query in time; else a 503 that names no internals (the cause is logged). */
async function catalogAnswers(app: AppContext, log: FastifyInstance['log']): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(fail('BACKEND_IO', `no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
  });
  try {
    await Promise.race([app.catalog.ping(), timeout]);
  } catch (err) {
    log.warn({ err }, 'readiness check failed');
    throw fail('BACKEND_IO', 'not ready: the catalog does not answer');
  } finally {
    clearTimeout(timer);
  }
}
