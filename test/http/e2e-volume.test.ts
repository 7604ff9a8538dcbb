/**
 * Volume end to end through /v1: a 512 MiB disk-image file of mixed content
 * (zeros, random bytes, text, patterns) is backed up, damaged, restored over
 * itself and compared by sha256 (streamed); a directory tree with subdirs,
 * relative, absolute and dangling symlinks, hardlinks, empty files and dirs,
 * odd names, modes and mtimes is backed up, changed, restored and compared
 * entry by entry. Every repository used then passes `restic check --read-data`.
 */
import assert from 'node:assert/strict';
import { createHash, randomFillSync } from 'node:crypto';
import {
  closeSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, truncateSync,
  utimesSync, lutimesSync, writeFileSync, writeSync, chmodSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkRepositories, sha256File, startE2E, type E2E } from './e2e-helpers.js';

const MiB = 1 << 20;
const IMAGE_SIZE = 512 * MiB;
const CHUNK = 4 * MiB;

/** Chunk `i` of the image: zeros, random, text or a half-random pattern, in turn. */
function imageChunk(i: number, buf: Buffer): Buffer {
  switch (i % 4) {
    case 0: return buf.fill(0);
    case 1: return randomFillSync(buf);
    case 2: {
      const line = Buffer.from(`chunk ${i}: the quick brown fox jumps over the lazy dog, line after line of text\n`);
      for (let o = 0; o < buf.length; o += line.length) line.copy(buf, o);
      return buf;
    }
    default:
      randomFillSync(buf, 0, buf.length / 2);
      return buf.fill(0xaa, buf.length / 2);
  }
}

/** Writes the image in chunks and returns its sha256. */
function writeImage(path: string): string {
  const hash = createHash('sha256');
  const buf = Buffer.alloc(CHUNK);
  const fd = openSync(path, 'w');
  try {
    for (let i = 0; i < IMAGE_SIZE / CHUNK; i++) {
      const chunk = imageChunk(i, buf);
      hash.update(chunk);
      writeSync(fd, chunk);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Builds a tree with every kind of entry the volume driver must keep; returns nothing, the tree is compared as found. */
function buildTree(root: string): void {
  mkdirSync(join(root, 'deep', 'x', 'y', 'z'), { recursive: true });
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'emptydir'));
  mkdirSync(join(root, 'private'));
  writeFileSync(join(root, 'a.txt'), 'alpha\n');
  writeFileSync(join(root, 'empty'), '');
  writeFileSync(join(root, 'bin', 'tool.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  writeFileSync(join(root, 'deep', 'x', 'y', 'z', 'leaf.bin'), randomFillSync(Buffer.alloc(200_000)));
  writeFileSync(join(root, 'private', 'key.pem'), 'not really a key\n', { mode: 0o640 });
  writeFileSync(join(root, 'name with spaces & ünïcode ☃.txt'), 'odd name\n');
  writeFileSync(join(root, 'hard1'), 'shared by two names\n');
  linkSync(join(root, 'hard1'), join(root, 'deep', 'hard2'));
  symlinkSync('a.txt', join(root, 'link-rel'));
  symlinkSync('/etc/hostname', join(root, 'link-abs'));
  symlinkSync('does/not/exist', join(root, 'dangling'));
  symlinkSync('deep/x', join(root, 'dirlink'));
  chmodSync(join(root, 'empty'), 0o600);
  chmodSync(join(root, 'private'), 0o750);
  chmodSync(join(root, 'emptydir'), 0o700);
  chmodSync(join(root, 'a.txt'), 0o444);
  setTimes(root, 1_000_000_000);
}

/** Distinct mtimes (with sub-second parts) on every entry, children before their directory. */
function setTimes(dir: string, base: number): number {
  let t = base;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) t = setTimes(p, t);
    t += 3601;
    if (st.isSymbolicLink()) lutimesSync(p, t + 0.25, t + 0.25);
    else utimesSync(p, t + 0.5, t + 0.5);
  }
  utimesSync(dir, t + 0.75, t + 0.75);
  return t + 1;
}

/** Every entry under root: type, mode, owner, size, mtime (ns), content hash or link target, and hardlink group. */
function describeTree(root: string): string[] {
  const inodes = new Map<bigint, string>();
  const out: string[] = [];
  const walk = (rel: string): void => {
    const p = rel === '' ? root : join(root, rel);
    const st = lstatSync(p, { bigint: true });
    const kind = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : st.isFile() ? 'file' : 'other';
    let what = '';
    if (kind === 'file') {
      what = createHash('sha256').update(readFileSync(p)).digest('hex');
      if (st.nlink > 1n) what += ` hardlink-group=${inodes.get(st.ino) ?? rel} nlink=${st.nlink}`;
      if (!inodes.has(st.ino)) inodes.set(st.ino, rel);
    }
    if (kind === 'link') what = `-> ${readlinkSync(p)}`;
    const size = kind === 'dir' ? '' : String(st.size);
    out.push(`${rel || '.'} ${kind} mode=${(st.mode & 0o7777n).toString(8)} uid=${st.uid} gid=${st.gid} size=${size} mtime=${st.mtimeNs} ${what}`);
    if (kind === 'dir') for (const name of readdirSync(p).sort()) walk(rel === '' ? name : join(rel, name));
  };
  walk('');
  return out;
}

describe('volume end to end', () => {
  let e2e: E2E;
  before(async () => { e2e = await startE2E('volume'); });
  after(async () => { await e2e.stop(); });

  it('restores a 512 MiB disk image byte for byte over a damaged copy', async () => {
    const image = join(e2e.dir, 'disk.img');
    const sum = writeImage(image);
    const resourceId = await e2e.createResource('disk-image', 'volume', { path: image });
    const backup = await e2e.backup(resourceId);
    assert.equal(backup.logicalBytes, IMAGE_SIZE);

    const fd = openSync(image, 'r+');
    writeSync(fd, Buffer.alloc(MiB, 0x55), 0, MiB, 100 * MiB);
    closeSync(fd);
    truncateSync(image, IMAGE_SIZE - 3 * MiB);
    assert.notEqual(await sha256File(image), sum);

    await e2e.restore(backup.id, { path: image });
    assert.equal(lstatSync(image).size, IMAGE_SIZE);
    assert.equal(await sha256File(image), sum);
  });

  it('restores a directory tree with links, modes and mtimes equal', async () => {
    const root = join(e2e.dir, 'tree');
    mkdirSync(root);
    buildTree(root);
    const before_ = describeTree(root);
    assert.equal(before_.filter((l) => l.includes('hardlink-group=deep/hard2 nlink=2')).length, 2, before_.join('\n'));
    const resourceId = await e2e.createResource('tree', 'volume', { path: root });
    const backup = await e2e.backup(resourceId);

    rmSync(join(root, 'deep'), { recursive: true });
    rmSync(join(root, 'link-rel'));
    writeFileSync(join(root, 'a.txt'), 'changed\n', { flag: 'w' });
    writeFileSync(join(root, 'new-file'), 'not in the backup\n');
    chmodSync(join(root, 'bin', 'tool.sh'), 0o600);
    assert.notDeepEqual(describeTree(root), before_);

    await e2e.restore(backup.id, { path: root });
    assert.deepEqual(describeTree(root), before_);
    const elsewhere = join(e2e.dir, 'restored-elsewhere', 'tree');
    await e2e.restore(backup.id, { path: elsewhere });
    assert.deepEqual(describeTree(elsewhere), before_);
  });

  it('leaves every repository it used passing restic check --read-data', async () => {
    await checkRepositories(e2e);
  });
});
