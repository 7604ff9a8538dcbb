/**
 * Chunker tests: the spec §7 vectors (tables, zeros, the SHA256(uint64_LE(i)) data set), streaming
 * equivalence across arbitrary split points, and, when /usr/bin/restic exists, blob ids compared
 * with what restic 0.14.0 itself writes for the same files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MAX_CHUNK, MIN_CHUNK, chunkLengths, chunkerTables, createChunker, tablesFromTransfer, tablesToTransfer,
  type ChunkerTables,
} from '../../src/format/chunker.js';
import { isHoldfastError } from '../../src/common/errors.js';

const TEST_POL = 0x3da3358b4dc173n;
const tables = chunkerTables(TEST_POL);

const SHA_SET_LENGTHS = [
  1015968, 1087132, 693439, 2344058, 903280, 1709091, 1791277, 1802453, 1190352, 528291, 868679, 1105126,
  1847403, 1069115, 789535, 691238, 1662910, 569729, 3496748,
];

function hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Seeded xorshift32, so failures reproduce. */
function seededRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
}

function pseudoRandomBytes(n: number, seed: number): Uint8Array {
  const next = seededRandom(seed);
  const words = new Uint32Array(Math.ceil(n / 4));
  for (let i = 0; i < words.length; i++) words[i] = next();
  return new Uint8Array(words.buffer, 0, n);
}

/** Spec §7: SHA256(uint64_LE(i)) for i = 0, 1, … concatenated and truncated. */
function shaDataSet(size: number): Uint8Array {
  const out = new Uint8Array(size);
  const counter = Buffer.alloc(8);
  for (let i = 0, off = 0; off < size; i++, off += 32) {
    counter.writeBigUInt64LE(BigInt(i));
    out.set(createHash('sha256').update(counter).digest().subarray(0, size - off), off);
  }
  return out;
}

function split(data: Uint8Array, lengths: readonly number[]): Uint8Array[] {
  let off = 0;
  return lengths.map((n) => data.subarray(off, (off += n)));
}

/**
 * Feeds data to one chunker in pieces of pieceSize() bytes, each copied into its own buffer unless
 * inPlace, and returns the chunk lengths.
 */
function streamLengths(t: ChunkerTables, data: Uint8Array, pieceSize: () => number, inPlace = false): number[] {
  const chunker = createChunker(t);
  const cuts = [0];
  for (let off = 0; off < data.length;) {
    const end = Math.min(data.length, off + pieceSize());
    const [buf, base] = inPlace ? [data, 0] : [data.slice(off, end), off];
    let pos = off - base;
    for (let cut = chunker.next(buf, pos, end - base); cut >= 0; cut = chunker.next(buf, pos, end - base)) {
      cuts.push(cut + base);
      pos = cut;
    }
    off = end;
  }
  if (cuts[cuts.length - 1] !== data.length) cuts.push(data.length);
  return cuts.slice(1).map((cut, k) => cut - cuts[k]!);
}

function word(hi: number | undefined, lo: number | undefined): bigint {
  return (BigInt(hi ?? -1) << 32n) | BigInt(lo ?? -1);
}

const shaSet = shaDataSet(25165824);

test('tables match the spec vectors for the upstream test polynomial', () => {
  assert.equal(word(tables.outHi[1], tables.outLo[1]), 0x17eb4232e19216n);
  assert.equal(word(tables.modHi[1], tables.modLo[1]), 0x3da3358b4dc173n);
  assert.equal(word(tables.outHi[0], tables.outLo[0]), 0n);
  assert.equal(tables.polynomial, TEST_POL);
});

test('2 MiB of zeros gives 4 chunks of 524288 bytes with the upstream hash', () => {
  const zeros = new Uint8Array(2 * 1024 * 1024);
  const lengths = chunkLengths(tables, zeros);
  assert.deepEqual(lengths, [524288, 524288, 524288, 524288]);
  for (const chunk of split(zeros, lengths)) assert.ok(hex(chunk).startsWith('07854d2fef297a06'));
});

test('the SHA256(uint64_LE(i)) data set gives the 19 spec chunk lengths and hashes', () => {
  assert.ok(hex(shaSet).startsWith('d8c9e68e'));
  const lengths = chunkLengths(tables, shaSet);
  assert.deepEqual(lengths, SHA_SET_LENGTHS);
  const chunks = split(shaSet, lengths);
  assert.ok(hex(chunks[0]!).startsWith('f3d509f8'));
  assert.ok(hex(chunks[chunks.length - 1]!).startsWith('2f9adb04'));
});

test('small inputs form one chunk and an empty input none', () => {
  assert.deepEqual(chunkLengths(tables, new Uint8Array(0)), []);
  assert.deepEqual(chunkLengths(tables, new Uint8Array(1)), [1]);
  assert.deepEqual(chunkLengths(tables, pseudoRandomBytes(MIN_CHUNK - 1, 5)), [MIN_CHUNK - 1]);
  assert.deepEqual(chunkLengths(tables, new Uint8Array(MIN_CHUNK)), [MIN_CHUNK]);
});

test('a constant non-zero window never matches the mask, so cuts fall at MAX_CHUNK', () => {
  // Once the window is full the digest depends only on the window, so it stays constant here.
  const ones = new Uint8Array(2 * MAX_CHUNK + 12345).fill(0x5a);
  assert.deepEqual(chunkLengths(tables, ones), [MAX_CHUNK, MAX_CHUNK, 12345]);
});

test('cut points do not depend on how the input is split across next() calls', () => {
  const ones = new Uint8Array(MAX_CHUNK + MIN_CHUNK + 3).fill(0x5a);
  const rnd = seededRandom(42);
  const piecings: [string, () => number][] = [
    ['7 bytes', () => 7], ['64 KiB', () => 65536], ['random', () => rnd() % 300000],
    ['random small', () => rnd() % 97], ['MIN-64', () => MIN_CHUNK - 64], ['MIN-1', () => MIN_CHUNK - 1],
  ];
  for (const data of [shaSet, ones, new Uint8Array(2 * 1024 * 1024 + 7)]) {
    const whole = chunkLengths(tables, data);
    assert.deepEqual(streamLengths(tables, data, () => 1, true), whole, '1 byte');
    for (const [name, size] of piecings) assert.deepEqual(streamLengths(tables, data, size), whole, name);
  }
});

test('chunkers with different polynomials can run interleaved', () => {
  const other = chunkerTables(0x2a1e0b3e8f4b6dn);
  const data = shaSet.subarray(0, 12 * 1024 * 1024);
  const expected = [chunkLengths(tables, data), chunkLengths(other, data)];
  assert.notDeepEqual(expected[0], expected[1]);
  const chunkers = [createChunker(tables), createChunker(other)];
  const got: number[][] = [[], []];
  const starts = [0, 0];
  for (let off = 0; off < data.length; off += 100000) {
    const end = Math.min(data.length, off + 100000);
    for (const k of [0, 1]) {
      for (let cut = chunkers[k]!.next(data, off, end); cut >= 0; cut = chunkers[k]!.next(data, cut, end)) {
        got[k]!.push(cut - starts[k]!);
        starts[k] = cut;
      }
    }
  }
  for (const k of [0, 1]) got[k]!.push(data.length - starts[k]!);
  assert.deepEqual(got, expected);
});

test('reset() starts a new chunk and discards a partial one', () => {
  const chunker = createChunker(tables);
  assert.equal(chunker.next(shaSet, 0, 700000), -1);
  chunker.reset();
  assert.equal(chunker.next(shaSet, 0, shaSet.length), SHA_SET_LENGTHS[0]);
  assert.equal(chunker.next(shaSet, 5, 5), -1);
});

test('next() rejects ranges outside the buffer', () => {
  const chunker = createChunker(tables);
  for (const [from, to] of [[-1, 3], [4, 3], [0, 11], [0.5, 2]] as const) {
    assert.throws(() => chunker.next(new Uint8Array(10), from, to), (e) => isHoldfastError(e, 'INVALID_ARGUMENT'));
  }
});

test('tables survive a structured-clone transfer and bad transfers are refused', () => {
  const back = tablesFromTransfer(structuredClone(tablesToTransfer(tables)));
  assert.equal(back.polynomial, TEST_POL);
  const five = SHA_SET_LENGTHS.slice(0, 5);
  const size = 6 * 1024 * 1024;
  assert.deepEqual(chunkLengths(back, shaSet.subarray(0, size)), [...five, size - five.reduce((a, b) => a + b)]);
  const good = tablesToTransfer(tables) as object;
  for (const x of [null, 42, {}, { ...good, modLo: new Uint32Array(255) }, { ...good, polynomial: '1da3358b4dc173' }]) {
    assert.throws(() => tablesFromTransfer(x), (e) => isHoldfastError(e, 'INVALID_ARGUMENT'));
  }
});

test('polynomials whose degree the chunker cannot handle are refused', () => {
  for (const p of [0n, 1n, 0x3da3358b4dn, 0x1da3358b4dc173n, 1n << 54n]) {
    assert.throws(() => chunkerTables(p), (e) => isHoldfastError(e, 'UNSUPPORTED_REPOSITORY'));
  }
});

interface TreeNode { name: string; type: string; subtree?: string; content?: string[] | null }

function resticJson(env: NodeJS.ProcessEnv, ...args: string[]): unknown {
  return JSON.parse(execFileSync('/usr/bin/restic', ['--no-cache', ...args], { env, maxBuffer: 1 << 26 }).toString());
}

/** Walks the snapshot's trees along an absolute path and returns the file node's content ids. */
function resticContent(env: NodeJS.ProcessEnv, path: string): string[] {
  const snapshots = resticJson(env, 'snapshots', '--json') as { tree: string }[];
  let tree = snapshots[0]!.tree;
  const names = path.split('/').filter((s) => s !== '');
  for (const [i, name] of names.entries()) {
    const { nodes } = resticJson(env, 'cat', 'blob', tree) as { nodes: TreeNode[] };
    const node = nodes.find((n) => n.name === name);
    assert.ok(node, `restic tree has no ${name}`);
    if (i === names.length - 1) return node.content ?? [];
    tree = node.subtree!;
  }
  return [];
}

test('chunk ids equal the blob ids restic 0.14.0 writes for the same files', { skip: !existsSync('/usr/bin/restic') }, () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'holdfast-chunker-')));
  try {
    const files = { 'random.bin': pseudoRandomBytes(20 * 1024 * 1024, 2024), 'constant.bin': new Uint8Array(17 * 1024 * 1024).fill(0x5a) };
    mkdirSync(join(dir, 'src'));
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, 'src', name), data);
    const env = { ...process.env, RESTIC_PASSWORD: 'chunker-test', RESTIC_REPOSITORY: join(dir, 'repo') };
    execFileSync('/usr/bin/restic', ['--no-cache', 'init'], { env, stdio: 'ignore' });
    execFileSync('/usr/bin/restic', ['--no-cache', 'backup', join(dir, 'src')], { env, stdio: 'ignore' });
    const config = resticJson(env, 'cat', 'config') as { chunker_polynomial: string };
    const repoTables = chunkerTables(BigInt(`0x${config.chunker_polynomial}`));
    for (const [name, data] of Object.entries(files)) {
      const ids = split(data, chunkLengths(repoTables, data)).map(hex);
      assert.ok(ids.length >= 3, `${name} should span several chunks`);
      assert.deepEqual(ids, resticContent(env, join(dir, 'src', name)), name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
