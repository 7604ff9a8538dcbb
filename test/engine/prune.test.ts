/**
 * prune on real repositories made with the CLI, judged by the real restic 0.14:
 * - a small repository where one data pack holds files a, b and c and only b
 *   is forgotten: prune repacks that pack (copying a and c exactly as stored),
 *   frees b, and both restores still match the source byte for byte;
 * - dry runs change nothing, a second prune has nothing to do, packs of a
 *   backup killed before its index are deleted, locks are honoured;
 * - a 200 MiB repository whose prune is SIGKILLed at several moments: each
 *   time `restic check` must pass, and a second prune must finish the job.
 * Also the planner's rules in isolation (duplicates, missing blobs, limits).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { cryptoRandom, systemClock } from '../../src/common/clock.js';
import { isHoldfastError } from '../../src/common/errors.js';
import { localBackend } from '../../src/backend/local.js';
import { openRepository } from '../../src/repository/open.js';
import { createRepository } from '../../src/repository/repository.js';
import { planPrune, type PlanInput } from '../../src/engine/prune/plan.js';
import { parseMaxUnused, unusedLimit } from '../../src/engine/prune/limits.js';
import { blobKey } from '../../src/engine/prune/used-blobs.js';
import type { PackedBlob } from '../../src/format/pack.js';
import {
  captureTree, compareTrees, explain, HOLDFAST_BIN, ok, PASSWORD, restic, run, scratchDir, sha256File, treeBytes, type RunResult, type Scratch,
} from '../acceptance/helpers.js';

const noRestic = existsSync('/usr/bin/restic') ? false : 'restic 0.14 is not installed';
const ENV = { HOLDFAST_PASSWORD: PASSWORD };

let scratch: Scratch;
let copies = 0;

/** Runs the CLI through its launcher, as a user would. */
function holdfast(args: readonly string[]): Promise<RunResult> {
  return run(HOLDFAST_BIN, args, { env: ENV });
}

function startHoldfast(args: readonly string[]): ChildProcess {
  return spawn(HOLDFAST_BIN, args, { env: { ...process.env, ...ENV }, stdio: ['pipe', 'pipe', 'pipe'] });
}

interface Exit { code: number | null; signal: NodeJS.Signals | null; out: string; err: string }

function exitOf(child: ChildProcess): Promise<Exit> {
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr?.on('data', (b: Buffer) => { err += b.toString(); });
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out, err })));
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function copyOf(dir: string): string {
  const copy = scratch.join(`copy-${++copies}`);
  cpSync(dir, copy, { recursive: true });
  return copy;
}

const files = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
const packFile = (repo: string, id: string): string => join(repo, 'data', id.slice(0, 2), id);
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Every path under dir, files with their content hash. */
async function listingWithHashes(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const f of files(dir)) out.push(statSync(join(dir, f)).isFile() ? `${f} ${await sha256File(join(dir, f))}` : f);
  return out;
}

async function backupId(repo: string, dir: string): Promise<string> {
  const r = ok(await holdfast(['repo', 'backup', '-r', repo, '--json', dir]), 'backup');
  const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return String(lines.find((l) => l['message_type'] === 'summary')?.['snapshot_id']);
}

async function pruneJson(repo: string, extra: string[] = []): Promise<Record<string, number | boolean>> {
  const r = ok(await holdfast(['repo', 'prune', '-r', repo, '--json', ...extra]), 'prune');
  return JSON.parse(r.out.trim().split('\n').at(-1)!) as Record<string, number | boolean>;
}

interface Stored { packId: string; offset: number; length: number; uncompressedLength: number | undefined }

async function indexOf(repo: string): Promise<Map<string, Stored>> {
  const env = { clock: systemClock, random: cryptoRandom, hostname: hostname(), username: 'prune-test', pid: process.pid, isProcessAlive: () => true };
  const r = createRepository(await openRepository(localBackend(repo), PASSWORD), env);
  await r.loadIndex();
  const out = new Map<string, Stored>();
  for (const e of r.index.entries()) out.set(`${e.type}:${e.id}`, { packId: e.packId, offset: e.offset, length: e.length, uncompressedLength: e.uncompressedLength });
  return out;
}

/** Restores the snapshot with holdfast and with restic; both must equal the source (content and modes; mtimes to the millisecond). */
async function assertRestoresMatch(repo: string, snapshot: string, src: string): Promise<void> {
  const want = await captureTree(src);
  const tools = {
    holdfast: (target: string) => holdfast(['repo', 'restore', '-r', repo, snapshot, '--target', target]),
    restic: (target: string) => restic(['-r', repo, 'restore', snapshot, '--target', target]),
  };
  for (const [tool, restore] of Object.entries(tools)) {
    const target = scratch.join(`restore-${++copies}`);
    ok(await restore(target), `${tool} restore`);
    const diffs = compareTrees(want, await captureTree(join(target, src)), { mtimeToleranceNs: 1_000_000n, hardlinks: false });
    assert.deepEqual(diffs, [], `${tool} restore differs from the source`);
    rmSync(target, { recursive: true, force: true });
  }
}

async function resticCheck(repo: string, readData: boolean): Promise<RunResult> {
  return ok(await restic(['-r', repo, 'check', ...(readData ? ['--read-data'] : [])]), `restic check${readData ? ' --read-data' : ''}`);
}

before(async () => {
  scratch = await scratchDir('prune');
});

after(() => scratch?.dispose());

describe('prune on a small repository', { skip: noRestic }, () => {
  let base = '';
  let src = '';
  let keptSnapshot = '';
  const blob = { a: '', b: '', c: '' };

  before(async () => {
    src = scratch.join('small-src');
    mkdirSync(src);
    // Each file is below the chunker's 512 KiB minimum, so it is one blob whose id is the file's hash.
    const content = { a: randomBytes(300_000), b: randomBytes(200_000), c: Buffer.from('compressible text '.repeat(8_000)) };
    for (const [name, bytes] of Object.entries(content)) writeFileSync(join(src, name), bytes);
    blob.a = sha(content.a); blob.b = sha(content.b); blob.c = sha(content.c);
    base = scratch.join('small');
    ok(await holdfast(['repo', 'init', '-r', base]), 'init');
    const first = await backupId(base, src);
    rmSync(join(src, 'b'));
    keptSnapshot = await backupId(base, src);
    ok(await holdfast(['repo', 'forget', '-r', base, first]), 'forget');
  });

  test('the setup really has one data pack holding a, b and c', async () => {
    const idx = await indexOf(base);
    const packs = new Set(['a', 'b', 'c'].map((k) => idx.get(`data:${blob[k as 'a']}`)?.packId));
    assert.equal(packs.size, 1);
    assert.notEqual([...packs][0], undefined);
  });

  test('--dry-run reports the plan and changes nothing', async () => {
    const repo = copyOf(base);
    const before = await listingWithHashes(repo);
    const report = await pruneJson(repo, ['--dry-run']);
    assert.equal(report['dryRun'], true);
    assert.ok(Number(report['packsRepacked']) >= 1, JSON.stringify(report));
    assert.ok(Number(report['bytesFreed']) >= 200_000, JSON.stringify(report));
    assert.deepEqual(await listingWithHashes(repo), before);
  });

  test('repacks the partly used pack, frees b, keeps a and c exactly as stored', async () => {
    const repo = copyOf(base);
    const idxBefore = await indexOf(repo);
    const oldPack = idxBefore.get(`data:${blob.a}`)!.packId;
    const sizeBefore = await treeBytes(repo);
    const report = await pruneJson(repo);
    assert.equal(report['dryRun'], false);
    assert.ok(Number(report['packsRepacked']) >= 1 && Number(report['packsWritten']) >= 1, JSON.stringify(report));
    assert.ok(Number(report['indexFilesReplaced']) >= 2, JSON.stringify(report));
    assert.ok((await treeBytes(repo)) < sizeBefore - 190_000, 'the repository shrank by about b');
    assert.equal(existsSync(packFile(repo, oldPack)), false, 'the old pack is gone');
    const idxAfter = await indexOf(repo);
    assert.equal(idxAfter.has(`data:${blob.b}`), false);
    for (const k of ['a', 'c'] as const) {
      const was = idxBefore.get(`data:${blob[k]}`)!;
      const now = idxAfter.get(`data:${blob[k]}`)!;
      assert.notEqual(now.packId, oldPack);
      assert.deepEqual([now.length, now.uncompressedLength], [was.length, was.uncompressedLength], `${k} was copied as stored`);
    }
    assert.ok(idxAfter.get(`data:${blob.c}`)!.uncompressedLength !== undefined, 'c stays compressed');
    assert.equal(idxAfter.get(`data:${blob.a}`)!.uncompressedLength, undefined, 'a stays uncompressed');
    await resticCheck(repo, true);
    await assertRestoresMatch(repo, keptSnapshot, src);
    const again = await pruneJson(repo);
    assert.deepEqual([again['packsDeleted'], again['packsRepacked'], again['indexFilesReplaced'], again['bytesFreed']], [0, 0, 0, 0], 'nothing left to do');
  });

  test('stops before changing the index or deleting anything when a blob to copy is damaged', async () => {
    const repo = copyOf(base);
    const loc = (await indexOf(repo)).get(`data:${blob.a}`)!;
    const path = packFile(repo, loc.packId);
    chmodSync(path, 0o600);
    const bytes = readFileSync(path);
    bytes.writeUInt8(bytes.readUInt8(loc.offset + 100) ^ 0x01, loc.offset + 100);
    writeFileSync(path, bytes);
    const indexBefore = files(join(repo, 'index'));
    const r = await holdfast(['repo', 'prune', '-r', repo]);
    assert.equal(r.code, 1, explain(r));
    assert.match(r.err, /cannot be decoded/);
    assert.deepEqual(files(join(repo, 'index')), indexBefore, 'the index files are untouched');
    assert.equal(existsSync(path), true, 'the damaged pack is still there');
  });

  test('deletes the packs of a backup that died before writing its index', async () => {
    const repo = copyOf(base);
    const bigDir = scratch.join('crashed-backup-src');
    mkdirSync(bigDir);
    writeFileSync(join(bigDir, 'big'), randomBytes(48 << 20));
    const packsBefore = files(join(repo, 'data')).length;
    const indexBefore = readdirSync(join(repo, 'index')).length;
    const child = startHoldfast(['repo', 'backup', '-r', repo, bigDir]);
    const exited = exitOf(child);
    await waitFor('a first pack of the backup', () => files(join(repo, 'data')).filter((f) => !f.includes('-tmp-')).length > packsBefore);
    child.kill('SIGKILL');
    assert.equal((await exited).signal, 'SIGKILL', 'the backup was killed before it finished');
    assert.equal(readdirSync(join(repo, 'index')).length, indexBefore, 'the backup wrote no index file');
    ok(await restic(['-r', repo, 'unlock']), 'restic unlock');
    const hinted = await resticCheck(repo, false);
    assert.match(hinted.out, /not referenced in any index/);
    const report = await pruneJson(repo);
    assert.ok(Number(report['packsDeleted']) >= 1, JSON.stringify(report));
    const clean = await resticCheck(repo, true);
    assert.doesNotMatch(clean.out, /not referenced in any index/);
    assert.deepEqual(readdirSync(join(repo, 'data')).filter((n) => n.startsWith('pack-tmp-')), [], 'no unfinished pack file is left');
  });

  test('refuses with REPOSITORY_LOCKED while a backup from another process holds a shared lock', async () => {
    const repo = copyOf(base);
    const backup = startHoldfast(['repo', 'backup', '-r', repo, '--stdin', '--stdin-filename', 'streamed']);
    const exited = exitOf(backup);
    await waitFor('the backup lock', () => readdirSync(join(repo, 'locks')).length > 0);
    const refused = await holdfast(['repo', 'prune', '-r', repo]);
    assert.equal(refused.code, 11, explain(refused));
    assert.match(refused.err, /locked/);
    backup.stdin!.end(randomBytes(1000));
    const done = await exited;
    assert.equal(done.code, 0, done.err);
    ok(await holdfast(['repo', 'prune', '-r', repo]), 'prune once the backup is done');
    await resticCheck(repo, false);
  });
});

describe('prune of 200 MiB, interrupted', { skip: noRestic }, () => {
  let base = '';
  let src = '';
  let kept = '';

  before(async () => {
    src = scratch.join('big-src');
    mkdirSync(src);
    for (let i = 0; i < 200; i++) writeFileSync(join(src, `f${String(i).padStart(3, '0')}`), randomBytes(1 << 20));
    base = scratch.join('big');
    ok(await holdfast(['repo', 'init', '-r', base]), 'init');
    const first = await backupId(base, src);
    // Every other file goes: each pack of the first backup becomes about half unused.
    for (let i = 1; i < 200; i += 2) rmSync(join(src, `f${String(i).padStart(3, '0')}`));
    kept = await backupId(base, src);
    ok(await holdfast(['repo', 'forget', '-r', base, first]), 'forget');
  });

  test('a backup started during the prune fails cleanly with REPOSITORY_LOCKED', async () => {
    const repo = copyOf(base);
    const small = scratch.join('during-prune-src');
    mkdirSync(small, { recursive: true });
    writeFileSync(join(small, 'x'), 'x');
    const prune = startHoldfast(['repo', 'prune', '-r', repo]);
    let pruneOut = '';
    prune.stdout!.on('data', (b: Buffer) => { pruneOut += b.toString(); });
    const pruned = exitOf(prune);
    await waitFor('prune to take its lock', () => pruneOut.includes('loading indexes'));
    const backup = await holdfast(['repo', 'backup', '-r', repo, small]);
    assert.equal(prune.exitCode, null, 'prune was still running when the backup gave up');
    assert.equal(backup.code, 11, explain(backup));
    assert.match(backup.err, /locked/);
    const done = await pruned;
    assert.equal(done.code, 0, done.err);
    assert.deepEqual(readdirSync(join(repo, 'snapshots')), [kept]);
    await resticCheck(repo, false);
  });

  /** Kill once `after` is printed and `delayMs` passed, or (with newPacks) once that many new pack files exist. */
  const kills: { name: string; after: string; delayMs: number; newPacks?: number }[] = [
    { name: '50 ms after taking the lock (planning)', after: 'loading indexes', delayMs: 50 },
    { name: '150 ms after taking the lock', after: 'loading indexes', delayMs: 150 },
    { name: '400 ms after taking the lock (repacking)', after: 'loading indexes', delayMs: 400 },
    { name: 'as repacking starts', after: 'repacking packs', delayMs: 0 },
    { name: 'mid-repack, once two new packs exist', after: 'repacking packs', delayMs: 0, newPacks: 2 },
    { name: 'as the new index is written', after: 'rebuilding index', delayMs: 0 },
    { name: 'as the old index files are deleted', after: 'deleting obsolete index files', delayMs: 0 },
    { name: 'as the old packs are deleted', after: 'old packs', delayMs: 0 },
  ];
  for (const k of kills) {
    test(`SIGKILL ${k.name} leaves a repository restic accepts, and a second prune finishes`, async (t) => {
      const repo = copyOf(base);
      const count = (sub: string): number => files(join(repo, sub)).filter((f) => /^[0-9a-f]{64}$/.test(f.split('/').at(-1)!)).length;
      const packsBefore = count('data');
      const child = startHoldfast(['repo', 'prune', '-r', repo]);
      let seen = '';
      child.stdout!.on('data', (b: Buffer) => {
        const hit = !seen.includes(k.after);
        seen += b.toString();
        if (hit && seen.includes(k.after) && k.newPacks === undefined) setTimeout(() => child.kill('SIGKILL'), k.delayMs);
      });
      const exited = exitOf(child);
      if (k.newPacks !== undefined) {
        await waitFor(`${k.newPacks} new packs`, () => count('data') >= packsBefore + k.newPacks! || child.exitCode !== null);
        child.kill('SIGKILL');
      }
      const first = await exited;
      if (k.delayMs > 0 || k.newPacks !== undefined) assert.equal(first.signal, 'SIGKILL', `prune finished before the kill:\n${first.out}`);
      else assert.ok(first.signal === 'SIGKILL' || first.code === 0, `prune failed: ${first.err}`);
      t.diagnostic(`${first.signal ?? `exit ${first.code}`} after "${first.out.trim().split('\n').at(-1)}": ${count('index')} index files, ${count('data')} packs`);
      ok(await restic(['-r', repo, 'unlock']), 'restic unlock');
      await resticCheck(repo, false);
      const second = await pruneJson(repo);
      assert.equal(second['dryRun'], false);
      await resticCheck(repo, true);
      assert.deepEqual(readdirSync(join(repo, 'snapshots')), [kept]);
      const third = await pruneJson(repo, ['--dry-run']);
      assert.equal(third['bytesFreed'], 0, 'the second prune left nothing to free');
      if (k.newPacks !== undefined) await assertRestoresMatch(repo, kept, src);
      rmSync(repo, { recursive: true, force: true });
    });
  }
});

describe('the planner', () => {
  const id = (n: number): string => n.toString(16).padStart(64, '0');
  const blobs = (list: [number, number, ('data' | 'tree')?][]): PackedBlob[] => {
    let offset = 0;
    return list.map(([n, length, type]) => { const b = { type: type ?? 'data', id: id(n), offset, length }; offset += length; return b; });
  };
  const size = (bs: PackedBlob[]): number => bs.reduce((s, b) => s + b.length + 37, 36);
  const input = (packs: [number, PackedBlob[]][], used: number[], extra: Partial<PlanInput> = {}): PlanInput => ({
    indexPacks: new Map(packs.map(([p, bs]) => [id(1000 + p), bs])),
    storedPacks: new Map(packs.map(([p, bs]) => [id(1000 + p), size(bs)])),
    used: new Set(used.map((n) => blobKey('data', id(n)))),
    maxUnusedBytes: unusedLimit({}),
    repackSmall: false,
    packSize: 16 << 20,
    ...extra,
  });

  test('a duplicate counts as used once, in the pack that holds other used blobs', () => {
    const plan = planPrune(input([[1, blobs([[1, 1e6], [2, 1e6]])], [2, blobs([[1, 1e6], [3, 1e6]])]], [1, 2]));
    assert.deepEqual([...plan.remove], [id(1002)]);
    assert.equal(plan.repack.size, 0);
    assert.equal(plan.stats.blobs.duplicate, 1);
  });

  test('small partly used packs are repacked, and the copy list is what only they hold', () => {
    const plan = planPrune(input([[1, blobs([[1, 1000], [2, 1000]])], [2, blobs([[3, 1e6]])]], [1, 3]));
    assert.deepEqual([...plan.repack], [id(1001)]);
    assert.deepEqual([...plan.keepBlobs], [blobKey('data', id(1))]);
  });

  test('a large data pack stays while the unused bytes are within the limit; tree packs are repacked anyway', () => {
    const big = blobs([[1, 5e6], [2, 5e6], [3, 100e3]]);
    const tree = blobs([[7, 1e6, 'tree'], [8, 1e6, 'tree']]);
    const used = new Set([1, 2, 7].map((n) => blobKey(n === 7 ? 'tree' : 'data', id(n))));
    const lenient = planPrune({ ...input([[1, big], [2, tree]], []), used, maxUnusedBytes: unusedLimit({ maxUnusedPercent: 5 }) });
    assert.deepEqual([...lenient.repack], [id(1002)]);
    const strict = planPrune({ ...input([[1, big], [2, tree]], []), used, maxUnusedBytes: unusedLimit({ maxUnusedBytes: 0 }) });
    assert.deepEqual([...strict.repack].sort(), [id(1001), id(1002)]);
  });

  test('unreferenced packs go; a needed blob missing from the index, or a wrong pack size, stops everything', () => {
    const stray = planPrune({ ...input([[1, blobs([[1, 1e6]])]], [1]), storedPacks: new Map([[id(1001), size(blobs([[1, 1e6]]))], [id(5), 999]]) });
    assert.deepEqual([...stray.removeUnreferenced], [id(5)]);
    assert.throws(() => planPrune(input([[1, blobs([[1, 1e6]])]], [1, 9])), (e) => isHoldfastError(e, 'INVALID_DATA') && /not complete/.test(e.message));
    const wrongSize = { ...input([[1, blobs([[1, 1e6]])]], [1]), storedPacks: new Map([[id(1001), 12345]]) };
    assert.throws(() => planPrune(wrongSize), (e) => isHoldfastError(e, 'INVALID_DATA') && /implies/.test(e.message));
  });

  test('--max-unused reads as restic reads it', () => {
    assert.deepEqual(parseMaxUnused('5%'), { maxUnusedPercent: 5 });
    assert.deepEqual(parseMaxUnused('2.5%'), { maxUnusedPercent: 2.5 });
    assert.deepEqual(parseMaxUnused('10M'), { maxUnusedBytes: 10 << 20 });
    assert.deepEqual(parseMaxUnused('unlimited'), { maxUnusedBytes: Infinity });
    for (const bad of ['', '100%', '-1%', 'x%', '1.5G', 'lots']) assert.throws(() => parseMaxUnused(bad), (e) => isHoldfastError(e, 'INVALID_ARGUMENT'), bad);
    assert.equal(unusedLimit({ maxUnusedPercent: 5 })(95_000), 5000);
  });
});

