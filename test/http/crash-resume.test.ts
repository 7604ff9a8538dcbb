/**
 * Crash and stop safety of `holdfast serve` as a real child process: kill -9
 * in the middle of a 1 GiB volume backup, then a restart on the same data
 * directory — the job resumes at once (not after the dead lease expires),
 * succeeds on its second attempt reusing what the first stored, the backup is
 * AVAILABLE with exactly one snapshot, restores byte-identical through the
 * API, and stock restic checks the repository clean. Then SIGTERM mid-backup:
 * the server exits 0 having released the job (not failed it) and the
 * repository lock; the next start completes the job.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream, existsSync, closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decryptSecret, parseMasterKey } from '../../src/app/secrets.js';
import { openFor } from './open-catalog.js';

const ROOT = join(fileURLToPath(import.meta.url), '../../../..');
const RESTIC = '/usr/bin/restic';
const MiB = 1024 * 1024;
const SIZE = 1024 * MiB;
const BLOCK = 8 * MiB;
const ENDED = ['SUCCEEDED', 'FAILED', 'CANCELED'];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const t0 = performance.now();
const mark = (what: string): void => console.log(`# ${((performance.now() - t0) / 1000).toFixed(1)} s: ${what}`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Half random, half log-like text (compressible, unique per block), written in 8 MiB chunks; returns its sha256. */
function writeImage(path: string, size: number): string {
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(BLOCK);
  const text = chunk.subarray(BLOCK / 2);
  const line = 'ts=2026-12-01T19:00:00Z level=info msg="request served" path=/api/v1/items status=200 bytes=12345\n';
  for (let at = 0; at < text.length; at += text.write(line, at));
  const fd = openSync(path, 'w');
  try {
    for (let block = 0; block < size / BLOCK; block++) {
      randomFillSync(chunk, 0, BLOCK / 2);
      // A stamp every 4 KiB keeps each block's text unique (no cross-block dedup) and still compressible.
      for (let at = 0; at < text.length; at += 4096) text.writeUInt32BE(block * 1024 + at / 4096, at);
      hash.update(chunk);
      writeSync(fd, chunk);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * MiB })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

interface Server {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

describe('holdfast serve after kill -9 and SIGTERM', { skip: !existsSync(RESTIC) && 'restic is not installed' }, () => {
  let dir = '';
  let data = '';
  let port = 0;
  let token = '';
  let server: Server | undefined;
  let image = '';
  let imageHash = '';

  const start = async (): Promise<Server> => {
    const env = { ...process.env };
    delete env['HOLDFAST_MASTER_KEY'];
    delete env['HOLDFAST_CATALOG_URL'];
    const child = spawn(join(ROOT, 'bin/holdfast'), ['serve', '--data-dir', data, '--port', String(port)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => { out += b.toString('utf8'); token = /token[^:]*: (hf_\S+)/.exec(out)?.[1] ?? token; });
    child.stderr!.on('data', (b: Buffer) => { out += b.toString('utf8'); });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const s = { child, exited, output: () => out };
    for (let i = 0; ; i++) {
      const up = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
      if (up && token !== '') return s;
      if (child.exitCode !== null || i > 300) assert.fail(`the server did not start:\n${out.slice(-4000)}`);
      await sleep(100);
    }
  };

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
  };

  const poll = async <T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> => {
    const end = performance.now() + ms;
    for (;;) {
      const got = await probe();
      if (got !== undefined) return got;
      if (performance.now() > end) assert.fail(`timed out waiting for ${what}\n${server?.output().slice(-3000) ?? ''}`);
      await sleep(100);
    }
  };
  const job = async (id: string): Promise<any> => (await call('GET', `/v1/jobs/${id}`)).json;
  const settled = (id: string, ms = 600_000) => poll(`job ${id} to settle`, ms, async () => { const j = await job(id); return ENDED.includes(j.state) ? j : undefined; });
  /** Waits until the job has done real work: at least `percent` and below 90%, plus `extra`. */
  const midway = (id: string, percent: number, extra: () => boolean = () => true) => poll(`job ${id} to be part-way`, 300_000, async () => {
    const j = await job(id);
    assert.ok(!ENDED.includes(j.state) && j.progress.percent < 90, `the backup went too fast to interrupt: ${JSON.stringify(j.progress)}`);
    return j.progress.percent >= percent && extra() ? j : undefined;
  });

  const repository = async (): Promise<{ location: string; password: string; tenantId: string }> => {
    const { catalog } = await openFor(data);
    try {
      const [row] = await catalog.repositories.list();
      assert.ok(row, 'the tenant has a repository');
      return { location: row.location, password: decryptSecret(parseMasterKey(readFileSync(join(data, 'master.key'), 'utf8')), row.passwordCiphertext), tenantId: row.tenantId };
    } finally {
      await catalog.close();
    }
  };
  const restic = (repo: { location: string; password: string }, ...args: string[]): string =>
    execFileSync(RESTIC, ['-r', repo.location, ...args], { env: { ...process.env, RESTIC_PASSWORD: repo.password }, encoding: 'utf8', maxBuffer: 64 * MiB });
  /** The stored size of the data blobs the repository's index files list (read without a lock: a dead one is there). */
  const indexedDataBytes = (repo: { location: string; password: string }): number => {
    let total = 0;
    for (const id of restic(repo, '--no-lock', 'list', 'index').split('\n').filter((l) => l !== '')) {
      const index = JSON.parse(restic(repo, '--no-lock', 'cat', 'index', id)) as { packs: { blobs: { type: string; length: number }[] }[] };
      for (const pack of index.packs) for (const blob of pack.blobs) if (blob.type === 'data') total += blob.length;
    }
    return total;
  };
  const filesIn = (path: string): string[] => (existsSync(path) ? readdirSync(path) : []);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'holdfast-crash-'));
    data = join(dir, 'data');
    image = join(dir, 'disk.img');
    imageHash = writeImage(image, SIZE);
    mark('image written');
    port = await freePort();
    server = await start();
  });
  after(async () => {
    if (server !== undefined && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('finishes a 1 GiB backup killed with -9 half-way, once, after a restart', async () => {
    const resource = await call('POST', '/v1/resources', { name: 'disk', driver: 'volume', config: { path: image } });
    assert.equal(resource.status, 201, JSON.stringify(resource.json));
    const resourceId: string = resource.json.id;
    const created = await call('POST', '/v1/backups', { resourceId, type: 'FULL' });
    assert.equal(created.status, 202, JSON.stringify(created.json));
    const backupId: string = created.json.id;
    const jobId: string = created.json.job.id;

    // Kill once an index file is written, so that part of the first attempt is findable and reusable.
    const indexDir = (): string => join(data, 'repos', created.json.tenantId, 'index');
    const before = await midway(jobId, 15, () => filesIn(indexDir()).some((name) => /^[0-9a-f]{64}$/.test(name))); // not a temp file being written
    const firstOwner: string = before.leaseOwner;
    assert.ok(firstOwner.startsWith(`${hostname()}:${server!.child.pid}:`), firstOwner);
    server!.child.kill('SIGKILL');
    mark('killed');
    assert.equal((await server!.exited).signal, 'SIGKILL');
    const killedAt = before.progress.percent;
    const indexed = indexedDataBytes(await repository());
    assert.ok(indexed > 0, 'the killed attempt had indexed some packs');

    const restartedAt = performance.now();
    server = await start();
    // Resumed at once: the dead owner is released, not waited out (its lease had up to 30 s left).
    const resumed = await poll('the job to be claimed again', 15_000, async () => { const j = await job(jobId); return j.attempts === 2 ? j : undefined; });
    assert.notEqual(resumed.leaseOwner, firstOwner);
    const resumeMs = performance.now() - restartedAt;

    const done = await settled(jobId);
    assert.equal(done.state, 'SUCCEEDED', JSON.stringify(done.error));
    mark('resumed backup done');
    assert.equal(done.attempts, 2);
    const backup = (await call('GET', `/v1/backups/${backupId}`)).json;
    assert.equal(backup.state, 'AVAILABLE');
    assert.equal(backup.snapshotIds.length, 1);
    assert.equal(backup.logicalBytes, SIZE);

    const { catalog } = await openFor(data);
    try {
      const rows = (await catalog.backups.list(backup.tenantId, { resourceId }, { limit: 100 })).items;
      assert.deepEqual(rows.map((b) => [b.id, b.state]), [[backupId, 'AVAILABLE']], 'no second backup row, none left CREATING');
    } finally {
      await catalog.close();
    }

    const repo = await repository();
    assert.deepEqual(filesIn(join(repo.location, 'locks')), [], 'the dead server\'s lock was removed, no lock is left');
    const snapshots = JSON.parse(restic(repo, 'snapshots', '--json')) as { id: string; tags: string[] }[];
    assert.deepEqual(snapshots.map((s) => s.id), backup.snapshotIds, 'exactly one snapshot: the killed attempt left none');
    assert.ok(snapshots[0]!.tags.includes(`holdfast-backup=${backupId}`));
    const check = restic(repo, 'check');
    mark('restic check done');
    assert.match(check, /no errors were found/);

    // What the killed attempt stored and indexed was deduplicated, not stored again.
    const stats = JSON.parse(restic(repo, 'stats', '--mode', 'raw-data', '--json')) as { total_size: number };
    const reused = stats.total_size - backup.storedBytes;
    console.log(`# killed at ${killedAt}%, resumed after ${Math.round(resumeMs)} ms; snapshot data ${Math.round(stats.total_size / MiB)} MiB, `
      + `stored by the resumed attempt ${Math.round(backup.storedBytes / MiB)} MiB, reused ${Math.round(reused / MiB)} MiB, indexed at the kill ${Math.round(indexed / MiB)} MiB`);
    assert.ok(Math.abs(reused - indexed) <= MiB, `the resumed attempt reused what the killed one had indexed (reused ${reused}, indexed ${indexed} bytes)`);

    const target = join(dir, 'restored.img');
    const restore = await call('POST', `/v1/backups/${backupId}/restore`, { target: { path: target } });
    assert.equal(restore.status, 202, JSON.stringify(restore.json));
    const restored = await settled(restore.json.id);
    mark('restored');
    assert.equal(restored.state, 'SUCCEEDED', JSON.stringify(restored.error));
    assert.equal(await sha256Of(target), imageHash);
    mark('compared');
    rmSync(target, { force: true });
  });

  it('on SIGTERM mid-backup exits 0 having released the job, which the next start completes', async () => {
    const small = join(dir, 'small.img');
    writeImage(small, 256 * MiB);
    const resource = await call('POST', '/v1/resources', { name: 'small', driver: 'volume', config: { path: small } });
    assert.equal(resource.status, 201, JSON.stringify(resource.json));
    const created = await call('POST', '/v1/backups', { resourceId: resource.json.id, type: 'FULL' });
    assert.equal(created.status, 202, JSON.stringify(created.json));
    const jobId: string = created.json.job.id;
    await midway(jobId, 1);
    server!.child.kill('SIGTERM');
    mark('SIGTERM sent');
    const exit = await Promise.race([server!.exited, sleep(60_000).then(() => undefined)]);
    assert.deepEqual(exit, { code: 0, signal: null }, server!.output().slice(-3000));

    const { catalog } = await openFor(data);
    try {
      const j = await catalog.jobs.get(created.json.tenantId, jobId);
      assert.deepEqual([j?.state, j?.leaseOwner, j?.attempts, j?.error], ['ACCEPTED', null, 1, null], 'released for the next start, not failed');
      assert.equal((await catalog.backups.get(created.json.tenantId, created.json.id))?.state, 'CREATING');
    } finally {
      await catalog.close();
    }
    const repo = await repository();
    assert.deepEqual(filesIn(join(repo.location, 'locks')), [], 'the repository lock was released');

    server = await start();
    const done = await settled(jobId);
    assert.deepEqual([done.state, done.attempts], ['SUCCEEDED', 2], JSON.stringify(done.error));
    const backup = (await call('GET', `/v1/backups/${created.json.id}`)).json;
    assert.equal(backup.state, 'AVAILABLE');
    const tagged = JSON.parse(restic(repo, 'snapshots', '--json', '--tag', `holdfast-backup=${created.json.id}`)) as { id: string }[];
    assert.deepEqual(tagged.map((s) => s.id), backup.snapshotIds);

    server.child.kill('SIGTERM');
    assert.deepEqual(await server.exited, { code: 0, signal: null });
  });
});
