/**
 * Copying a snapshot between two local repositories with other passwords and
 * other chunker polynomials: stock restic checks every byte of the
 * destination and restores the same files from it; the copy names its
 * original; a second snapshot sharing data stores only what is new.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { cryptoRandom, systemClock } from '../../src/common/clock.js';
import { localBackend } from '../../src/backend/local.js';
import { initRepository } from '../../src/repository/open.js';
import { createRepository, type Repository } from '../../src/repository/repository.js';
import type { RepositoryEnv } from '../../src/repository/context.js';
import { listLocks } from '../../src/repository/lock.js';
import { backup } from '../../src/engine/backup/archiver.js';
import { copySnapshot, type CopyProgress } from '../../src/engine/copy.js';
import { loadSnapshots } from '../../src/engine/snapshots.js';

const RESTIC = '/usr/bin/restic';
const NO_RESTIC = existsSync(RESTIC) || process.env['HOLDFAST_REQUIRE_SERVICES'] === '1' ? false : 'restic is not installed';
const env: RepositoryEnv = { clock: systemClock, random: cryptoRandom, hostname: 'copy-host', username: 'tester', pid: process.pid, isProcessAlive: () => true };
const fastKdf = { N: 1024, r: 8, p: 1 };

function restic(repo: string, password: string, args: string[]): string {
  const r = spawnSync(RESTIC, ['-r', repo, ...args], { env: { ...process.env, RESTIC_PASSWORD: password }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, `restic ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function newRepo(path: string, password: string): Promise<Repository> {
  return createRepository(await initRepository(localBackend(path), password, env, { kdf: fastKdf }), env);
}

/** Relative path → sha256 of every regular file under root. */
function digests(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(root, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(root);
  return out;
}

describe('copySnapshot', { skip: NO_RESTIC }, () => {
  let dir: string;
  let a: Repository;
  let b: Repository;
  const src = (): string => join(dir, 'src');
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'holdfast-copy-'));
    mkdirSync(join(src(), 'sub/deeper'), { recursive: true });
    writeFileSync(join(src(), 'big.bin'), randomBytes(6 * 1024 * 1024 + 4321));
    writeFileSync(join(src(), 'text.txt'), 'hello copy\n'.repeat(5000));
    writeFileSync(join(src(), 'empty'), '');
    writeFileSync(join(src(), 'sub/small.bin'), randomBytes(1000));
    writeFileSync(join(src(), 'sub/deeper/same.bin'), readFileSync(join(src(), 'sub/small.bin')));
    a = await newRepo(join(dir, 'a'), 'password-a');
    b = await newRepo(join(dir, 'b'), 'password-b');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('copies a snapshot that restic checks byte for byte and restores identically', async () => {
    assert.notEqual(a.config.chunkerPolynomial, b.config.chunkerPolynomial, 'the repositories chunk differently');
    const s = await backup(a, { paths: [src()], tags: ['t1', 'holdfast'], hostname: 'h1' });
    const seen: CopyProgress[] = [];
    const c = await copySnapshot(a, b, s.snapshotId, { onProgress: (p) => seen.push({ ...p }) });

    assert.equal(c.sourceId, s.snapshotId);
    assert.equal(c.snapshot.original, s.snapshotId);
    assert.equal(c.snapshot.tree, s.snapshot.tree, 'blobs keep their ids, so the tree is the same');
    assert.ok(c.bytesStored > 6 * 1024 * 1024, `stored ${c.bytesStored}`);
    assert.equal(c.blobsCopied, s.dataBlobs + s.treeBlobs);
    const fileBytes = [...digests(src()).keys()].reduce((n, f) => n + statSync(join(src(), f)).size, 0);
    assert.equal(c.bytesProcessed, fileBytes, 'every file byte counted once per file');
    assert.ok(seen.length > s.treeBlobs + 1, `progress after each blob, not only each tree (${seen.length} reports, ${s.dataBlobs} data blobs)`);
    assert.ok(seen.every((p, i) => i === 0 || p.bytesDone >= seen[i - 1]!.bytesDone));
    assert.deepEqual(await listLocks(a), [], 'source lock released');
    assert.deepEqual(await listLocks(b), [], 'destination lock released');

    const listed = JSON.parse(restic(join(dir, 'b'), 'password-b', ['snapshots', '--json']));
    assert.equal(listed.length, 1);
    assert.equal(listed[0].id, c.snapshotId);
    assert.equal(listed[0].original, s.snapshotId);
    assert.equal(listed[0].hostname, 'h1');
    assert.deepEqual(listed[0].tags, ['t1', 'holdfast']);
    assert.deepEqual(listed[0].paths, [src()]);
    assert.equal(listed[0].time, JSON.parse(restic(join(dir, 'a'), 'password-a', ['snapshots', '--json']))[0].time);

    restic(join(dir, 'b'), 'password-b', ['check', '--read-data']);
    const target = join(dir, 'restored');
    restic(join(dir, 'b'), 'password-b', ['restore', c.snapshotId, '--target', target]);
    assert.deepEqual(digests(join(target, src())), digests(src()));
  });

  it('stores only what is new when a second snapshot shares the data', async () => {
    writeFileSync(join(src(), 'added.bin'), randomBytes(200 * 1024));
    const s2 = await backup(a, { paths: [src()], hostname: 'h1' });
    const c2 = await copySnapshot(a, b, s2.snapshotId, { tags: ['retagged'] });
    assert.ok(c2.bytesStored < 1024 * 1024, `the 6 MiB file is not stored again (stored ${c2.bytesStored})`);
    assert.ok(c2.bytesStored > 200 * 1024, 'the new file is stored');
    assert.deepEqual(c2.snapshot.tags, ['retagged']);
    assert.equal(c2.snapshot.parent, undefined, 'a parent means nothing in the other repository');

    const ids = (await loadSnapshots(b)).map((x) => x.id);
    assert.equal(ids.length, 2);
    restic(join(dir, 'b'), 'password-b', ['check', '--read-data']);
    const target = join(dir, 'restored2');
    restic(join(dir, 'b'), 'password-b', ['restore', c2.snapshotId, '--target', target]);
    assert.deepEqual(digests(join(target, src())), digests(src()));
  });

  it('refuses a snapshot the source does not have, leaving the destination as it was', async () => {
    await assert.rejects(copySnapshot(a, b, 'f'.repeat(64)), (err: { code?: string }) => err.code === 'NOT_FOUND');
    assert.equal((await loadSnapshots(b)).length, 2);
    assert.deepEqual(await listLocks(b), []);
  });

  it('stops when its signal aborts', async () => {
    const c = await newRepo(join(dir, 'c'), 'password-c');
    const [first] = await loadSnapshots(a);
    const abort = new AbortController();
    abort.abort(new Error('stop'));
    await assert.rejects(copySnapshot(a, c, first!.id, { signal: abort.signal }));
    assert.equal((await loadSnapshots(c)).length, 0);
    assert.deepEqual(await listLocks(c), []);
  });
});
