/**
 * GET /v1/jobs/:id/events: a Server-Sent Events stream of one job. An
 * `event: progress` carries the job's JSON each time its state, progress or
 * error changes; the last is `event: done` with the settled job, after which
 * the stream ends. A comment line every 15 s keeps proxies from closing an
 * idle stream. The catalog is polled (the runner may live in another
 * process); polling stops when the client disconnects or the server closes.
 */
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { getJob, isSettled, watchJob } from '../../app/backups.js';
import type { Job } from '../../catalog/index.js';
import { errorAnswer } from '../errors.js';
import { principalOf } from './auth.js';
import { idOf, idParams } from './schemas.js';

const POLL_MS = 300;
const KEEPALIVE_MS = 15_000;

function eventOf(job: Job): string {
  return `event: ${isSettled(job) ? 'done' : 'progress'}\ndata: ${JSON.stringify(job)}\n\n`;
}

/** Writes unless the stream has ended or was destroyed (the client left): late writes are dropped, not errors. */
function send(out: PassThrough, text: string): void {
  if (out.writable) out.write(text);
}

async function pump(out: PassThrough, watch: AsyncGenerator<Job>): Promise<void> {
  try {
    for await (const job of watch) send(out, eventOf(job));
  } catch (err) {
    send(out, `event: error\ndata: ${JSON.stringify(errorAnswer(err).body)}\n\n`);
  } finally {
    if (out.writable) out.end();
  }
}

export function jobEventRoute(server: FastifyInstance, app: AppContext): void {
  const open = new Set<AbortController>();
  // Without this a watched, still-running job would hold server.close() open.
  server.addHook('preClose', async () => { for (const watcher of open) watcher.abort(); });
  server.get('/jobs/:id/events', { schema: { params: idParams } }, async (req, reply) => {
    const who = principalOf(req);
    const id = idOf(req);
    await getJob(app, who, id);
    const stop = new AbortController();
    const out = new PassThrough();
    const keepalive = setInterval(() => send(out, ': keepalive\n\n'), KEEPALIVE_MS);
    open.add(stop);
    reply.raw.on('close', () => stop.abort());
    out.on('close', () => { clearInterval(keepalive); open.delete(stop); stop.abort(); });
    void pump(out, watchJob(app, who, id, { signal: stop.signal, pollMs: POLL_MS }));
    return reply.status(200).headers({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' }).send(out);
  });
}
