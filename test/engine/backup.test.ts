/** The archiver through its API: streams, excludes, parent reuse, dedup across workers, errors. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { createHash, randomBytes } from 'node:crypto';
import { cryptoRandom, systemClock } from '../../src/common/clock.js';
import { memBackend } from '../../src/backend/mem.js';
import { initRepository } from '../../src/repository/open.js';
import { createRepository, type Repository } from '../../src/repository/repository.js';
import type { RepositoryEnv } from '../../src/repository/context.js';
import { backup } from '../../src/engine/backup/archiver.js';
import { dumpFile } from '../../src/engine/restore/dump.js';
import { findNode } from '../../src/engine/restore/plan.js';

const env: RepositoryEnv = { clock: systemClock, random: cryptoRandom, hostname: 'test-host', username: 'tester', pid: process.pid, isProcessAlive: () => true };
const fastKdf = { N: 1024, r: 8, p: 1 };

async function newRepo(): Promise<Repository> {
  return createRepository(await initRepository(memBackend(), 'pw', env, { kdf: fastKdf }), env);
}

function collect(): { out: Writable; bytes: () => Buffer } {
  const parts: Buffer[] = [];
  const out = new Writable({ write(chunk: Buffer, _e, cb) { parts.push(chunk); cb(); } });
  return { out, bytes: () => Buffer.concat(parts) };
}

describe('backup engine', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'holdfast-backup-'));
    mkdirSync(join(dir, 'src/cache'), { recursive: true });
    writeFileSync(join(dir, 'src/keep.txt'), 'keep me\n');
    writeFileSync(join(dir, 'src/skip.log'), 'noise\n');
    writeFileSync(join(dir, 'src/cache/blob'), randomBytes(1000));
    const same = randomBytes(3 * 1024 * 1024);
    for (let i = 0; i < 12; i++) writeFileSync(join(dir, `src/copy-${i}.bin`), same);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stores a stream under a file name and gives it back byte for byte', async () => {
    const repo = await newRepo();
    const data = randomBytes(5 * 1024 * 1024 + 123);
    const pieces = Array.from({ length: 11 }, (_, i) => data.subarray(i * 500_000, (i + 1) * 500_000));
    const s = await backup(repo, { stdin: { filename: 'dump.sql', stream: Readable.from(pieces) } });
    assert.deepEqual(s.snapshot.paths, ['/dump.sql']);
    const sink = collect();
    await dumpFile(repo, s.snapshotId, '/dump.sql', sink.out);
    assert.equal(createHash('sha256').update(sink.bytes()).digest('hex'), createHash('sha256').update(data).digest('hex'));
  });

  it('stores identical content once even when two workers read it at the same time', async () => {
    const repo = await newRepo();
    const s = await backup(repo, { paths: [join(dir, 'src')], workers: 2 });
    const node = await findNode(repo, s.snapshot.tree, join(dir, 'src/copy-0.bin'));
    const distinct = new Set(node!.content);
    // 12 copies of 3 MiB: only the chunks of one copy, plus the small files, are new.
    assert.equal(s.dataBlobs, distinct.size + 3);
    assert.equal(s.filesNew, 15);
  });

  it('stores the same blobs with one worker, whose chunks the main thread seals', async () => {
    const one = await newRepo();
    const s = await backup(one, { paths: [join(dir, 'src')], workers: 1 });
    const node = await findNode(one, s.snapshot.tree, join(dir, 'src/copy-0.bin'));
    assert.equal(s.dataBlobs, new Set(node!.content).size + 3);
    const sink = collect();
    await dumpFile(one, s.snapshotId, join(dir, 'src/copy-11.bin'), sink.out);
    assert.ok(sink.bytes().equals(readFileSync(join(dir, 'src/copy-11.bin'))));
  });

  it('skips excluded paths', async () => {
    const repo = await newRepo();
    const s = await backup(repo, { paths: [join(dir, 'src')], excludes: ['*.log', 'cache'] });
    assert.equal(await findNode(repo, s.snapshot.tree, join(dir, 'src/keep.txt')).then((n) => n?.type), 'file');
    await assert.rejects(findNode(repo, s.snapshot.tree, join(dir, 'src/skip.log')), /not in the snapshot/);
    await assert.rejects(findNode(repo, s.snapshot.tree, join(dir, 'src/cache')), /not in the snapshot/);
    assert.deepEqual(s.snapshot.excludes, ['*.log', 'cache']);
  });

  it('reuses unchanged files from the parent and re-reads changed ones or all with force', async () => {
    const repo = await newRepo();
    const first = await backup(repo, { paths: [join(dir, 'src')] });
    const second = await backup(repo, { paths: [join(dir, 'src')] });
    assert.equal(second.parent, first.snapshotId);
    assert.equal(second.filesUnmodified, 15);
    assert.equal(second.bytesStored, 0);
    assert.equal(second.snapshot.tree, first.snapshot.tree);
    utimesSync(join(dir, 'src/keep.txt'), new Date(), new Date(2001, 1, 1));
    const third = await backup(repo, { paths: [join(dir, 'src')] });
    assert.equal(third.filesChanged, 1);
    const forced = await backup(repo, { paths: [join(dir, 'src')], force: true });
    assert.equal(forced.filesChanged, 15);
    // No new data; a tree may differ, as reading a file can move the atime the nodes record (restic does the same).
    assert.equal(forced.dataBlobs, 0);
  });

  it('saves the snapshot without an unreadable path and reports it', async () => {
    const repo = await newRepo();
    const s = await backup(repo, { paths: [join(dir, 'src/keep.txt'), join(dir, 'missing')] });
    assert.equal(s.errors.length, 1);
    assert.match(s.errors[0]!.path, /missing$/);
    assert.equal(await findNode(repo, s.snapshot.tree, join(dir, 'src/keep.txt')).then((n) => n?.size), 8n);
  });

  it('refuses bad requests with clear errors', async () => {
    const repo = await newRepo();
    await assert.rejects(backup(repo, { paths: [] }), /nothing to back up/);
    await assert.rejects(backup(repo, { stdin: { filename: 'a/b', stream: Readable.from([]) } }), /plain file name/);
  });
});
