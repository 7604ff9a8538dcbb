/**
 * Test helper: a private PostgreSQL cluster for physical backups (the
 * machine's main server allows no replication). initdb into a temporary
 * directory (as the `postgres` OS user when run as root, since PostgreSQL
 * refuses root), a pg_hba.conf with `replication` trust for 127.0.0.1,
 * wal_level=replica, on a free port; pg_ctl starts and stops it, and a
 * restored data directory starts the same way on another port.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, sh } from '../source/helpers.js';

const asRoot = process.getuid?.() === 0;

/** The uid and gid PostgreSQL runs as: `postgres` when we are root, else ourselves. */
export function pgOwner(): { uid: number; gid: number } {
  if (!asRoot) return { uid: process.getuid!(), gid: process.getgid!() };
  const [uid, gid] = ['-u', '-g'].map((flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim()));
  return { uid: uid!, gid: gid! };
}

/** A server-side tool by absolute path: on PATH, else Debian's /usr/lib/postgresql/<newest>/bin. */
export function serverBin(name: string): string {
  for (const dir of (process.env['PATH'] ?? '').split(':')) if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((v) => join(root, v, 'bin', name)).find((p) => existsSync(p));
  if (found === undefined) throw new Error(`${name} is neither on PATH nor under ${root}/*/bin: install the PostgreSQL server package`);
  return found;
}

/** Runs a server-side PostgreSQL tool as the cluster's owner. */
export const asPostgres = (command: string, args: readonly string[]): Promise<string> =>
  asRoot ? sh('runuser', ['-u', 'postgres', '--', serverBin(command), ...args]) : sh(serverBin(command), args);

const HBA = [
  'local all all trust',
  'local replication all trust',
  'host all all 127.0.0.1/32 trust',
  'host replication all 127.0.0.1/32 trust',
  '',
].join('\n');

export interface Cluster {
  readonly dataDir: string;
  readonly port: number;
}

/** A temporary base directory, owned by the cluster's owner, with a socket directory in it. */
export function clusterBase(prefix: string): { base: string; socketDir: string } {
  const owner = pgOwner();
  const base = mkdtempSync(join(tmpdir(), prefix));
  const socketDir = join(base, 'sock');
  mkdirSync(socketDir);
  for (const d of [base, socketDir]) chownSync(d, owner.uid, owner.gid);
  return { base, socketDir };
}

/** initdb a cluster that allows replication from 127.0.0.1 into `dataDir`, on a free port (not started). */
export async function initCluster(dataDir: string): Promise<Cluster> {
  const owner = pgOwner();
  const cluster = { dataDir, port: await freePort() };
  await asPostgres('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  writeFileSync(join(dataDir, 'pg_hba.conf'), HBA);
  appendFileSync(join(dataDir, 'postgresql.conf'), "\nwal_level = replica\nmax_wal_senders = 4\nfsync = off\n");
  for (const f of ['pg_hba.conf', 'postgresql.conf']) chownSync(join(dataDir, f), owner.uid, owner.gid);
  return cluster;
}

export function startCluster(c: Cluster, socketDir: string): Promise<string> {
  const opts = `-p ${c.port} -k ${socketDir} -c listen_addresses=127.0.0.1`;
  return asPostgres('pg_ctl', ['-D', c.dataDir, '-l', `${c.dataDir}.log`, '-w', '-t', '120', '-o', opts, 'start']);
}

export const stopCluster = (c: Cluster): Promise<unknown> => asPostgres('pg_ctl', ['-D', c.dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);

export const psqlAt = (port: number, db: string, sql: string): Promise<string> =>
  sh('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', db, '-c', sql]);

/** A plain pg_dump without owners, and without the \restrict lines whose key is random on each run. */
export const plainDumpAt = async (port: number, db: string): Promise<string> =>
  (await sh('pg_dump', ['--format=plain', '--no-owner', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', db]))
    .split('\n').filter((l) => !/^\\(un)?restrict /.test(l)).join('\n');
