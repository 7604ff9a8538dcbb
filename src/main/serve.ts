/**
 * `holdfast serve`: the embedded default. One process with the native API,
 * the job runner, a SQLite catalog and one local repository per tenant, all
 * under one data directory. A first start creates the default tenant and
 * prints its admin token once.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cryptoRandom, systemClock } from '../common/clock.js';
import { openCatalog } from '../catalog/index.js';
import type { AppContext } from '../app/context.js';
import { ensureDefaultTenant } from '../app/tenants.js';
import { parseMasterKey } from '../app/secrets.js';
import { backupHandler, restoreHandler } from '../app/job-handlers.js';
import { deleteHandler } from '../app/delete-handler.js';
import { copyHandler } from '../app/copy-handler.js';
import { purgeExpiredKeys } from '../app/idempotency.js';
import { createRunner, deadLocalOwner, ownerName } from '../jobs/runner.js';
import { createSecureContext } from 'node:tls';
import { fail } from '../common/errors.js';
import { createMetrics } from '../http/metrics.js';
import { buildServer } from '../http/server.js';
import { repoEnvironment } from './environment.js';
import { createScheduler } from '../jobs/scheduler.js';
import { retentionDelete, scheduledBackup } from '../app/policies.js';
import { loadConfig } from './config.js';
import { applyConfig } from './config-apply.js';

export interface ServeOptions {
  readonly dataDir: string;
  /** Where volumes restored into new resources go; default `<dataDir>/volumes`. */
  readonly volumesDir?: string;
  readonly host: string;
  readonly port: number;
  readonly catalogUrl?: string;
  readonly masterKey?: string;
  readonly logger?: boolean;
  readonly toolEnv?: Readonly<Record<string, string | undefined>>;
  /** PEM certificate (chain) and private key: the server listens with HTTPS only. */
  readonly tls?: TlsFiles;
  /** A config file (docs/configuration.md) whose tenants, credentials, resources and policies are applied at start and on reloadConfig(). */
  readonly configFile?: string;
  /** Where clients reach the server, for absolute URLs in answers (e.g. Oracle's Location); default: each request's Host. */
  readonly publicBaseUrl?: string;
  /** The home region's name (default 'local'). */
  readonly region?: string;
  /** Other regions backups can be copied to: name → its data directory (docs/configuration.md). */
  readonly regions?: Readonly<Record<string, { readonly dataDir: string }>>;
  /** Where the one-time admin token is printed. */
  readonly say: (line: string) => void;
}

export interface TlsFiles {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

export interface RunningServer {
  readonly url: string;
  /** Re-reads and applies the config file (SIGHUP); a file that fails is logged and the running config stays. False then. */
  reloadConfig(): Promise<boolean>;
  stop(): Promise<void>;
}

/** The master key from the option (env HOLDFAST_MASTER_KEY), else `<data>/master.key`, made on first start. */
function loadMasterKey(dataDir: string, given: string | undefined): Buffer {
  if (given !== undefined) return parseMasterKey(given);
  const file = join(dataDir, 'master.key');
  if (!existsSync(file)) {
    writeFileSync(file, `${cryptoRandom.bytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  }
  return parseMasterKey(readFileSync(file, 'utf8'));
}

/** Fails early, before anything is opened, on a certificate or key OpenSSL cannot load or that do not match. */
function checkTls(tls: TlsFiles): void {
  try {
    createSecureContext({ cert: tls.cert, key: tls.key });
  } catch (err) {
    // OpenSSL's reason (e.g. "PEM routines::no start line", "key values mismatch") names no key material.
    const reason = (err as { reason?: string; message?: string }).reason ?? (err as Error).message;
    throw fail('INVALID_ARGUMENT', `the TLS certificate and key cannot be used (OpenSSL: ${reason}); give a PEM certificate and its own PEM private key`);
  }
}

/** Each other region's data directory, absolute; none may be the home data directory, since its repositories would be the home ones. */
function regionDirs(dataDir: string, regions: ServeOptions['regions']): Record<string, string> {
  const dirs: Record<string, string> = {};
  for (const [name, r] of Object.entries(regions ?? {})) {
    dirs[name] = resolve(r.dataDir);
    if (dirs[name] === dataDir) throw fail('INVALID_ARGUMENT', `region ${name} has the home data directory ${dataDir}; give it a directory of its own`);
  }
  return dirs;
}

/** How often expired idempotency keys are purged. */
const HOUSEKEEPING_MS = 60 * 60 * 1000;

export async function startServer(o: ServeOptions): Promise<RunningServer> {
  if (o.tls !== undefined) checkTls(o.tls);
  const dataDir = resolve(o.dataDir);
  const regions = regionDirs(dataDir, o.regions);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const catalog = await openCatalog(o.catalogUrl ?? `sqlite:${join(dataDir, 'catalog.db')}`, systemClock);
  const metrics = createMetrics(catalog);
  let wake = (): void => undefined;
  const app: AppContext = {
    catalog, clock: systemClock, random: cryptoRandom, repoEnv: repoEnvironment(), dataDir,
    ...(o.volumesDir === undefined ? {} : { volumesDir: resolve(o.volumesDir) }),
    masterKey: loadMasterKey(dataDir, o.masterKey), toolEnv: o.toolEnv ?? {}, jobsWaiting: () => wake(),
    ...(o.publicBaseUrl === undefined ? {} : { publicBaseUrl: o.publicBaseUrl }),
    regions, ...(o.region === undefined ? {} : { region: o.region }),
  };
  // The process's start instant tells this process from an earlier one that had the same pid.
  const self = { ...app.repoEnv, started: Math.round(performance.timeOrigin).toString(36) };
  const runner = createRunner({
    catalog, clock: systemClock, owner: ownerName(self), isOwnerGone: deadLocalOwner(self),
    handlers: { backup: backupHandler(app), restore: restoreHandler(app), delete: deleteHandler(app), copy: copyHandler(app) },
    onSettled: (job, state, durationMs) => metrics.jobSettled(job, state, durationMs),
  });
  wake = () => runner.wake();
  // With a config file the tenants are the declared ones: no default tenant, no one-time token.
  const applied = o.configFile === undefined ? undefined : await applyConfig(app, loadConfig(o.configFile));
  if (o.configFile === undefined) {
    const { adminToken } = await ensureDefaultTenant(app);
    if (adminToken !== undefined) o.say(`Created the default tenant. Admin token (shown once, keep it): ${adminToken}`);
  }
  const server = await buildServer(app, { logger: o.logger ?? true, metrics, ...(o.tls === undefined ? {} : { https: o.tls }) });
  if (applied !== undefined) server.log.info({ changes: applied.changes, warnings: applied.warnings }, `config ${o.configFile} applied`);
  const scheduler = createScheduler({
    catalog, clock: systemClock, requestBackup: scheduledBackup(app), deleteBackup: retentionDelete(app),
    log: (level, msg, data) => server.log[level]({ ...data }, msg),
  });
  const reloadConfig = configReloader(app, o.configFile, server.log);
  const url = await server.listen({ host: o.host, port: o.port });
  runner.start();
  scheduler.start();
  const housekeeping = setInterval(() => { purgeExpiredKeys(app).catch((err: unknown) => server.log.warn({ err }, 'purging old idempotency keys failed')); }, HOUSEKEEPING_MS);
  housekeeping.unref();
  return {
    url,
    reloadConfig,
    async stop() {
      // Stop accepting at once, but do not wait for open requests before releasing the jobs.
      const closing = server.close();
      clearInterval(housekeeping);
      await scheduler.stop();
      await runner.stop();
      await closing;
      await catalog.close();
    },
  };
}

/** Reloads run one at a time; each reads the file afresh and applies all of it or nothing. */
function configReloader(app: AppContext, file: string | undefined, log: { info: (o: object, m: string) => void; error: (o: object, m: string) => void }): () => Promise<boolean> {
  let queue: Promise<boolean> = Promise.resolve(true);
  const reload = async (): Promise<boolean> => {
    if (file === undefined) return false;
    try {
      const report = await applyConfig(app, loadConfig(file));
      log.info({ changes: report.changes, warnings: report.warnings }, `config ${file} reloaded`);
      return true;
    } catch (err) {
      log.error({ err: { code: (err as { code?: string }).code, message: err instanceof Error ? err.message : String(err) } }, `config ${file} not applied; the running configuration stays`);
      return false;
    }
  };
  return () => (queue = queue.then(reload));
}
