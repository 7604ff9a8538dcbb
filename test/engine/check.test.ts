/**
 * The checker against real repositories: one written by the holdfast CLI (two
 * backups, so each file's data sits in its own pack) and one written by
 * restic 0.14. Both must check clean; then copies of the holdfast one are
 * damaged the ways storage fails (a flipped byte, a lost pack, a lost index
 * file, a truncated pack) and the report must name exactly what broke and the
 * snapshots it costs. restic's own check is the second opinion.
 */
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cryptoRandom, systemClock } from '../../src/common/clock.js';
import { localBackend } from '../../src/backend/local.js';
import { openRepository } from '../../src/repository/open.js';
import { createRepository, type Repository } from '../../src/repository/repository.js';
import { encodeIndex, parseIndex } from '../../src/format/index-file.js';
import type { PackedBlob } from '../../src/format/pack.js';
import { checkRepository, type CheckProblem, type CheckReport } from '../../src/engine/check/checker.js';
import { headerVsIndex } from '../../src/engine/check/read-data.js';

/** The launcher itself (it picks the node binary and its settings). */
const BIN = fileURLToPath(new URL('../../../bin/holdfast', import.meta.url));
const RESTIC = '/usr/bin/restic';
const PASSWORD = 'check-test-password';
const FILE_SIZE = 3 * 1024 * 1024;
/** CI sets HOLDFAST_REQUIRE_SERVICES: there a missing restic fails the interop tests instead of skipping them. */
const noRestic = existsSync(RESTIC) || process.env['HOLDFAST_REQUIRE_SERVICES'] === '1' ? false : 'restic is not installed';

let root = '';
let src = '';
/** The holdfast repository every damage test copies. */
let base = '';
let snap1 = '';
let snap2 = '';
/** Data pack holding b.bin, which only snapshot 2 has; and the index file and packs backup 1 wrote. */
let packB = '';
let index1 = '';
let packs1: string[] = [];
let aBin: Buffer;

function holdfast(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(BIN, args, { env: { ...process.env, HOLDFAST_PASSWORD: PASSWORD }, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function holdfastOk(args: readonly string[]): string {
  const r = holdfast(args);
  assert.equal(r.status, 0, `holdfast ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function restic(args: readonly string[]): { status: number | null; output: string } {
  const r = spawnSync(RESTIC, ['--no-cache', ...args], { env: { ...process.env, RESTIC_PASSWORD: PASSWORD }, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

function filesIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => statSync(join(dir, p)).isFile()).map((p) => p.split('/').at(-1)!);
}

function backupSnapshot(repo: string): string {
  return (JSON.parse(holdfastOk(['repo', 'backup', '-r', repo, '--json', src])) as { snapshot_id: string }).snapshot_id;
}

async function open(dir: string): Promise<Repository> {
  const env = { clock: systemClock, random: cryptoRandom, hostname: hostname(), username: 'check-test', pid: process.pid, isProcessAlive: () => true };
  return createRepository(await openRepository(localBackend(dir), PASSWORD), env);
}

async function check(dir: string, readData: boolean): Promise<CheckReport> {
  return checkRepository(await open(dir), { readData });
}

/** A copy of the base repository to damage. Stored files are read-only (0400), as restic makes them. */
function copyOfBase(name: string): string {
  const dir = join(root, name);
  cpSync(base, dir, { recursive: true });
  return dir;
}

function packPath(repo: string, pack: string): string {
  const path = join(repo, 'data', pack.slice(0, 2), pack);
  chmodSync(path, 0o600);
  return path;
}

function flipMiddleByte(path: string): void {
  const data = readFileSync(path);
  data[data.length >> 1]! ^= 0x01;
  writeFileSync(path, data);
}

/** The one data pack among `packs` (ids of new files), found through the index. */
async function dataPackAmong(packs: readonly string[]): Promise<string> {
  const repo = await open(base);
  await repo.loadIndex();
  const data = new Set<string>();
  for (const e of repo.index.entries()) if (e.type === 'data' && packs.includes(e.packId)) data.add(e.packId);
  assert.equal(data.size, 1, 'backup 2 wrote exactly one data pack');
  return [...data][0]!;
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'holdfast-check-'));
  src = join(root, 'src');
  base = join(root, 'base');
  mkdirSync(src);
  aBin = randomBytes(FILE_SIZE);
  writeFileSync(join(src, 'a.bin'), aBin);
  holdfastOk(['repo', 'init', '-r', base]);
  snap1 = backupSnapshot(base);
  packs1 = filesIn(join(base, 'data'));
  index1 = filesIn(join(base, 'index'))[0]!;
  writeFileSync(join(src, 'b.bin'), randomBytes(FILE_SIZE));
  snap2 = backupSnapshot(base);
  packB = await dataPackAmong(filesIn(join(base, 'data')).filter((p) => !packs1.includes(p)));
});

after(() => {
  if (root !== '') rmSync(root, { recursive: true, force: true });
});

test('a clean holdfast repository checks clean, with and without reading the data', async () => {
  for (const readData of [false, true]) {
    const report = await check(base, readData);
    assert.deepEqual(report, { errors: [], hints: [], packsChecked: 4, snapshots: 2, damagedSnapshots: [] }, `readData=${readData}`);
  }
  assert.deepEqual(readdirSync(join(base, 'locks')), [], 'the check released its lock');
});

test('a clean restic repository checks clean, with and without reading the data', { skip: noRestic }, async () => {
  const repo = join(root, 'restic-clean');
  assert.equal(restic(['-r', repo, 'init']).status, 0);
  const backup = restic(['-r', repo, 'backup', src]);
  assert.equal(backup.status, 0, backup.output);
  for (const readData of [false, true]) {
    const report = await check(repo, readData);
    assert.deepEqual(report.errors, [], `readData=${readData}`);
    assert.deepEqual(report.hints, []);
    assert.equal(report.snapshots, 1);
    assert.ok(report.packsChecked >= 2, 'a data pack and a tree pack at least');
  }
});

test('a flipped byte in a data pack: only --read-data sees it, naming the pack and the one snapshot using it', async () => {
  const repo = copyOfBase('flipped');
  flipMiddleByte(packPath(repo, packB));
  assert.deepEqual((await check(repo, false)).errors, [], 'the structure is intact: the pack holds only data blobs');
  const report = await check(repo, true);
  assert.equal(report.errors.length, 1, JSON.stringify(report.errors));
  const [problem] = report.errors as [Extract<CheckProblem, { kind: 'pack-damaged' }>];
  assert.equal(problem.kind, 'pack-damaged');
  assert.equal(problem.pack, packB);
  assert.match(problem.message, /does not hash to its name/);
  assert.match(problem.message, /1 blob failed to decrypt or verify/);
  assert.deepEqual(problem.snapshots, [snap2]);
  assert.deepEqual(report.damagedSnapshots, [snap2], 'snapshot 1 never had b.bin');
});

test('restic agrees the flipped pack is damaged', { skip: noRestic }, () => {
  const repo = copyOfBase('flipped-restic');
  flipMiddleByte(packPath(repo, packB));
  assert.equal(restic(['-r', repo, 'check']).status, 0, 'restic without --read-data does not see it either');
  const r = restic(['-r', repo, 'check', '--read-data']);
  assert.equal(r.status, 1, r.output);
  assert.match(r.output, new RegExp(`Pack ID does not match, want ${packB}`));
});

test('a file whose blobs are not in the damaged pack still restores byte for byte', () => {
  const repo = copyOfBase('flipped-restore');
  flipMiddleByte(packPath(repo, packB));
  const dump = spawnSync(BIN, ['repo', 'restore', '-r', repo, `${snap2}:${join(src, 'a.bin')}`, '--target', '-'], { env: { ...process.env, HOLDFAST_PASSWORD: PASSWORD }, maxBuffer: 64 << 20 });
  assert.equal(dump.status, 0, dump.stderr.toString());
  assert.ok(dump.stdout.equals(aBin), 'a.bin dumped intact');
  const target = join(root, 'restored');
  const whole = holdfast(['repo', 'restore', '-r', repo, `${snap2}:${src}`, '--target', target]);
  assert.equal(whole.status, 1, 'b.bin cannot be restored');
  assert.match(whole.stderr, /b\.bin: data blob [0-9a-f]{8} cannot be decoded/);
  assert.ok(readFileSync(join(target, 'a.bin')).equals(aBin), 'a.bin restored intact beside the damaged b.bin');
});

test('a deleted pack is pack-missing, naming the snapshot that used it', async () => {
  const repo = copyOfBase('missing');
  rmSync(packPath(repo, packB));
  const report = await check(repo, false);
  assert.deepEqual(report.errors, [{ kind: 'pack-missing', pack: packB, snapshots: [snap2] }]);
  assert.deepEqual(report.hints, []);
  assert.deepEqual(report.damagedSnapshots, [snap2]);
});

test('a deleted index file leaves its packs unreferenced (hints) and the files using them without blobs (errors)', async () => {
  const repo = copyOfBase('no-index');
  chmodSync(join(repo, 'index', index1), 0o600);
  rmSync(join(repo, 'index', index1));
  const report = await check(repo, true);
  assert.deepEqual(report.hints.map((h) => h.kind === 'pack-unreferenced' && h.pack).sort(), [...packs1].sort());
  assert.ok(report.errors.every((e) => !e.kind.startsWith('pack-')), 'no pack is missing or damaged');
  const missingBlobs = report.errors.filter((e): e is Extract<CheckProblem, { kind: 'blob-missing' }> => e.kind === 'blob-missing');
  assert.ok(missingBlobs.length >= 1, 'a.bin has at least one blob');
  for (const e of missingBlobs) assert.deepEqual({ path: e.path, snapshots: e.snapshots }, { path: join(src, 'a.bin'), snapshots: [snap2] });
  const missingTrees = report.errors.filter((e): e is Extract<CheckProblem, { tree: string }> => e.kind === 'tree-missing');
  assert.deepEqual(missingTrees.map((e) => e.snapshots), [[snap1]], "snapshot 1's root tree went with its index");
  assert.equal(report.errors.length, missingBlobs.length + missingTrees.length);
  assert.deepEqual(report.damagedSnapshots, [snap1, snap2]);
});

test('a damaged index file is index-damaged; the packs only it listed become unreferenced', async () => {
  const repo = copyOfBase('bad-index');
  const path = join(repo, 'index', index1);
  chmodSync(path, 0o600);
  flipMiddleByte(path);
  const report = await check(repo, false);
  const damaged = report.errors.filter((e) => e.kind === 'index-damaged');
  assert.deepEqual(damaged.map((e) => e.kind === 'index-damaged' && e.index), [index1]);
  assert.deepEqual(report.hints.map((h) => h.kind === 'pack-unreferenced' && h.pack).sort(), [...packs1].sort());
  assert.deepEqual(report.damagedSnapshots, [snap1, snap2]);
});

test('an index that disagrees with a pack header is pack-damaged with --read-data', async () => {
  const dir = copyOfBase('header-mismatch');
  const repo = await open(dir);
  const file = parseIndex(await repo.unpacked.load('index', index1));
  const treePack = file.packs.find((p) => p.blobs.every((b) => b.type === 'tree'))!;
  // Same entry size, so the pack size still matches: only reading the header can tell.
  const forged = { ...file, packs: file.packs.map((p) => (p !== treePack ? p : { ...p, blobs: p.blobs.map((b, i) => (i === 0 ? { ...b, uncompressedLength: b.uncompressedLength! + 1 } : b)) })) };
  await repo.unpacked.save('index', encodeIndex(forged));
  chmodSync(join(dir, 'index', index1), 0o600);
  rmSync(join(dir, 'index', index1));
  assert.ok(!(await check(dir, false)).errors.some((e) => e.kind.startsWith('pack-')), 'sizes agree');
  const report = await check(dir, true);
  const problem = report.errors.find((e) => e.kind === 'pack-damaged');
  assert.ok(problem !== undefined && problem.kind === 'pack-damaged', JSON.stringify(report.errors));
  assert.equal(problem.pack, treePack.id);
  assert.match(problem.message, /the header lists 1 entry the index does not: tree blob [0-9a-f]{64} at 0/);
  assert.match(problem.message, /the index lists 1 entry the header does not/);
  assert.ok(!/does not hash to its name/.test(problem.message), 'the pack itself is sound');
});

test('header against index: every field counts, order does not', () => {
  const id = (c: string): string => c.repeat(64);
  const a: PackedBlob = { type: 'data', id: id('a'), offset: 0, length: 100, uncompressedLength: 200 };
  const b: PackedBlob = { type: 'data', id: id('b'), offset: 100, length: 50 };
  assert.deepEqual(headerVsIndex([a, b], [b, a]), []);
  const cases: [string, PackedBlob][] = [
    ['type', { ...b, type: 'tree' }], ['id', { ...b, id: id('c') }], ['offset', { ...b, offset: 101 }],
    ['length', { ...b, length: 51 }], ['uncompressed length', { ...b, uncompressedLength: 7 }],
  ];
  for (const [field, changed] of cases) {
    const issues = headerVsIndex([a, b], [a, changed]);
    assert.equal(issues.length, 2, `a different ${field} is a mismatch both ways`);
    assert.match(issues[0]!, new RegExp(`header lists 1 entry the index does not: .*${b.id}`));
  }
  assert.deepEqual(headerVsIndex([a, b], [a]), [`the header lists 1 entry the index does not: data blob ${b.id} at 100 (length 50)`]);
  assert.equal(headerVsIndex([a, a], [a]).length, 1, 'a duplicated entry counts');
});

test('a truncated pack is pack-size, with the size the index implies', async () => {
  const repo = copyOfBase('truncated');
  const path = packPath(repo, packB);
  const size = statSync(path).size;
  truncateSync(path, size >> 1);
  for (const readData of [false, true]) {
    const report = await check(repo, readData);
    assert.deepEqual(report.errors, [{ kind: 'pack-size', pack: packB, expected: size, actual: size >> 1, snapshots: [snap2] }], `readData=${readData}`);
    assert.deepEqual(report.damagedSnapshots, [snap2]);
  }
});

test('the CLI exits 0 on a clean repository and 1 with "Fatal:" on a damaged one', () => {
  const clean = holdfast(['repo', 'check', '-r', base, '--read-data']);
  assert.equal(clean.status, 0, clean.stderr);
  const steps = ['load indexes', 'check all packs', 'check snapshots, trees and blobs', 'read all data', 'no errors were found'];
  assert.deepEqual(clean.stdout.split('\n').filter((l) => steps.includes(l)), steps);
  const repo = copyOfBase('flipped-cli');
  flipMiddleByte(packPath(repo, packB));
  assert.equal(holdfast(['repo', 'check', '-r', repo]).status, 0, 'without --read-data the damage stays unseen');
  const damaged = holdfast(['repo', 'check', '-r', repo, '--read-data']);
  assert.equal(damaged.status, 1);
  assert.match(damaged.stderr, new RegExp(`error: pack ${packB}: .*\\(used by snapshots ${snap2}\\)`));
  assert.match(damaged.stderr, /^Fatal: repository contains errors$/m);
  assert.doesNotMatch(damaged.stdout, /no errors were found/);
  const json = holdfast(['repo', 'check', '-r', repo, '--read-data', '--json']);
  assert.equal(json.status, 1);
  const report = JSON.parse(json.stdout) as CheckReport;
  assert.deepEqual(report.errors.map((e) => e.kind === 'pack-damaged' && e.pack), [packB]);
  assert.deepEqual(report.damagedSnapshots, [snap2]);
});
