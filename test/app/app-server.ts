/**
 * Test helper for use cases that queue real jobs: a real server (startServer:
 * its runner and job handlers, a SQLite catalog, a local repository) over a
 * fresh data directory, plus a second AppContext on the same catalog file,
 * master key and data directory, through which a test calls use cases as the
 * default tenant's admin. The server's runner claims the jobs so queued (it
 * polls the catalog every second); resources are made through POST /v1/resources.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryptoRandom, systemClock } from '../../src/common/clock.js';
import { openCatalog, type Job } from '../../src/catalog/index.js';
import type { AppContext, Principal } from '../../src/app/context.js';
import { requestBackup, type BackupRequest } from '../../src/app/backups.js';
import { parseMasterKey } from '../../src/app/secrets.js';
import { authenticateToken } from '../../src/app/tenants.js';
import { repoEnvironment } from '../../src/main/environment.js';
import { startServer } from '../../src/main/serve.js';
import type { Backup } from '../../src/catalog/index.js';

export interface AppServer {
  readonly dir: string;
  readonly app: AppContext;
  /** The default tenant's admin. */
  readonly who: Principal;
  /** POST /v1/resources; returns the new resource's id. */
  createResource(name: string, driver: string, config: unknown): Promise<string>;
  /** Polls the catalog until the job ends; returns it. */
  waitForJob(id: string): Promise<Job>;
  /** requestBackup, waits for its job, asserts it succeeded; returns the AVAILABLE backup. */
  backup(req: BackupRequest): Promise<Backup>;
  stop(): Promise<void>;
}

export async function startAppServer(label: string): Promise<AppServer> {
  const dir = mkdtempSync(join(tmpdir(), `holdfast-app-${label}-`));
  const dataDir = join(dir, 'data');
  let token = '';
  const server = await startServer({
    dataDir, host: '127.0.0.1', port: 0, logger: false, toolEnv: process.env,
    say: (line) => { token = /token[^:]*: (\S+)/.exec(line)?.[1] ?? token; },
  });
  const app: AppContext = {
    catalog: await openCatalog(`sqlite:${join(dataDir, 'catalog.db')}`, systemClock), clock: systemClock, random: cryptoRandom,
    repoEnv: repoEnvironment(), dataDir, masterKey: parseMasterKey(readFileSync(join(dataDir, 'master.key'), 'utf8')),
    toolEnv: process.env, jobsWaiting: () => undefined,
  };
  const who = await authenticateToken(app, token);

  const waitForJob = async (id: string): Promise<Job> => {
    const deadline = Date.now() + 10 * 60_000;
    while (Date.now() < deadline) {
      const job = await app.catalog.jobs.get(who.tenantId, id);
      if (job !== undefined && ['SUCCEEDED', 'FAILED', 'CANCELED'].includes(job.state)) return job;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${id} did not finish in time`);
  };

  return {
    dir, app, who, waitForJob,
    async createResource(name, driver, config) {
      const res = await fetch(`${server.url}/v1/resources`, {
        method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name, driver, config }),
      });
      const json = (await res.json()) as { id: string };
      assert.equal(res.status, 201, JSON.stringify(json));
      return json.id;
    },
    async backup(req) {
      const { backup, job } = await requestBackup(app, who, req);
      const done = await waitForJob(job.id);
      assert.equal(done.state, 'SUCCEEDED', JSON.stringify(done.error));
      const stored = await app.catalog.backups.get(who.tenantId, backup.id);
      assert.equal(stored?.state, 'AVAILABLE');
      return stored;
    },
    async stop() {
      await app.catalog.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
