/**
 * `npm run bench:api`: load on the native API. A `holdfast serve` child on a
 * fresh data directory gets one tiny volume resource per request, then
 * autocannon opens 200 connections that each create backups (every request
 * names a resource of its own: one mutating job per resource is the rule, so
 * two creates of one resource would only measure the CONFLICT answer).
 * Prints the create call's latency percentiles and the completed jobs per
 * second, from the first create until the last job settled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const CONNECTIONS = Number(process.env['HOLDFAST_BENCH_CONNECTIONS'] ?? '200');
const REQUESTS = Number(process.env['HOLDFAST_BENCH_REQUESTS'] ?? '1000');
const bin = join(fileURLToPath(import.meta.url), '../../../bin/holdfast');

async function startServer(dataDir: string, port: number): Promise<{ child: ChildProcess; token: string }> {
  // HOLDFAST_BENCH_PROFILE=DIR writes the server's CPU profile there.
  const profile = process.env['HOLDFAST_BENCH_PROFILE'];
  const args = ['serve', '--data-dir', dataDir, '--port', String(port)];
  const child = profile === undefined
    ? spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profile}`, bin, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const token = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /token[^:]*: (hf_\S+)/.exec(out);
      if (m !== null) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`holdfast serve exited with ${code}`)));
  });
  child.stdout!.resume();
  for (let i = 0; i < 100; i++) {
    if (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)) return { child, token };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('holdfast serve did not answer /healthz');
}

async function api(base: string, token: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function makeResources(base: string, token: string, work: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const dir = join(work, 'src', String(i));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'note.txt'), `tiny resource ${i}\n`);
    ids.push((await api(base, token, 'POST', '/v1/resources', { name: `tiny-${i}`, driver: 'volume', config: { path: dir } })).id);
  }
  return ids;
}

async function waitForJobs(base: string, token: string): Promise<{ succeeded: number; failed: number }> {
  for (;;) {
    let succeeded = 0;
    let failed = 0;
    let open = 0;
    let after: string | undefined;
    do {
      const page = await api(base, token, 'GET', `/v1/jobs?limit=1000${after === undefined ? '' : `&after=${after}`}`);
      for (const j of page.items as { state: string; error: { message: string } | null }[]) {
        if (j.state === 'SUCCEEDED') succeeded++;
        else if (j.state === 'FAILED' || j.state === 'CANCELED') { failed++; if (failed === 1) console.log(`first failure: ${j.error?.message}`); }
        else open++;
      }
      after = page.next ?? undefined;
    } while (after !== undefined);
    if (open === 0) return { succeeded, failed };
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'holdfast-api-bench-'));
  const port = 18000 + Math.floor(Math.random() * 1000);
  const base = `http://127.0.0.1:${port}`;
  const { child, token } = await startServer(join(work, 'data'), port);
  try {
    const ids = await makeResources(base, token, work);
    let next = 0;
    const started = Date.now();
    const result = await autocannon({
      url: `${base}/v1/backups`, connections: CONNECTIONS, amount: REQUESTS, method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ resourceId: ids[next++ % ids.length], type: 'FULL' }) }) }],
    });
    const { succeeded, failed } = await waitForJobs(base, token);
    const seconds = (Date.now() - started) / 1000;
    console.log(`create backup: ${result.requests.total} requests on ${CONNECTIONS} connections, non-2xx ${result.non2xx}, errors ${result.errors}`);
    console.log(`latency ms: p50 ${result.latency.p50}  p90 ${result.latency.p90}  p99 ${result.latency.p99}  max ${result.latency.max}`);
    console.log(`jobs: ${succeeded} succeeded, ${failed} failed in ${seconds.toFixed(1)} s: ${(succeeded / seconds).toFixed(1)} completed jobs/s`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
