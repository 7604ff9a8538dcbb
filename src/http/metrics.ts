/**
 * Prometheus metrics at /metrics, in a registry each server owns (several
 * servers can run in one process, as the tests do). Catalog gauges are read at
 * scrape time; job durations come from the runner's onSettled hook; request
 * latency from Fastify's onResponse hook.
 *
 * /metrics is unauthenticated, like /healthz, so it carries nothing about any
 * tenant: no tenant ids, no resource or backup names, no raw URLs (the route
 * label is the route's pattern, e.g. /v1/resources/:id).
 */
import type { FastifyInstance } from 'fastify';
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Catalog, Job, JobEndState } from '../catalog/index.js';

/** Buckets in seconds: jobs run from well under a second to hours. */
const JOB_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600];
/** Buckets in seconds for API calls. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** The route label of requests that matched no route, so unknown URLs cannot grow the label set. */
export const UNMATCHED_ROUTE = 'unmatched';

export interface ServerMetrics {
  readonly registry: Registry;
  /** For the runner's onSettled option. */
  jobSettled(job: Job, state: JobEndState, durationMs: number): void;
}

export function createMetrics(catalog: Catalog): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'holdfast_' });
  new Gauge({
    name: 'holdfast_jobs_by_state', help: 'Jobs in the catalog, by state (all tenants).', labelNames: ['state'], registers: [registry],
    async collect() {
      const counts = await catalog.jobs.countByState();
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'holdfast_stored_bytes', help: 'Bytes stored by available backups (all tenants), as the engine counted them.', registers: [registry],
    async collect() { this.set(await catalog.backups.storedBytesTotal()); },
  });
  const jobs = new Histogram({
    name: 'holdfast_job_duration_seconds', help: 'How long settled jobs ran (their last attempt), by kind and end state.',
    labelNames: ['kind', 'state'], buckets: JOB_BUCKETS, registers: [registry],
  });
  return {
    registry,
    jobSettled(job, state, durationMs) { jobs.observe({ kind: job.kind, state }, durationMs / 1000); },
  };
}

/** Registers the request-latency hook (on the root, so it sees every route) and the /metrics route. */
export function metricsRoutes(server: FastifyInstance, metrics: ServerMetrics): void {
  const latency = new Histogram({
    name: 'holdfast_http_request_duration_seconds', help: 'HTTP request latency, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status_code'], buckets: HTTP_BUCKETS, registers: [metrics.registry],
  });
  server.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    latency.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  server.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics (no tenant data)' } }, async (_req, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
}
