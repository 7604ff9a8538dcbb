/**
 * The proof that our JSON is Go-exact: restic 0.14.0 backs up a directory of
 * awkward names, and every tree it wrote must hash to its id and re-encode,
 * after decoding, to the very same bytes. The index and snapshot restic wrote
 * are checked the same way. Skipped when /usr/bin/restic is not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashId } from '../../src/common/ids.js';
import { goModeFromUnix, nodeTypeFromUnixMode } from '../../src/format/filemode.js';
import { decodeTree, encodeTree, type TreeNode } from '../../src/format/tree.js';
import { encodeIndex, parseIndex } from '../../src/format/index-file.js';
import { encodeSnapshot, parseSnapshot } from '../../src/format/snapshot.js';

const RESTIC = '/usr/bin/restic';
const u8 = (s: string): Buffer => Buffer.from(s, 'utf8');

const FILE_NAMES: Buffer[] = [
  u8('we"ird\\name é'), u8('new\nline'), u8('tab\tname'), Buffer.from('bad\xffbyte', 'latin1'), u8('nbsp\u00a0x'),
  u8('emoji😀'), u8('melt\u{1fae0}'), u8('less<&>'), u8('del\x7f'), u8('bell\x07'), u8('c1\u0085'), u8('ls\u2028'),
  u8('quote"'), u8('back\\slash'), u8('ok.txt'), Buffer.from([0xe2, 0x82, 0x41]), u8('\ufffd'), u8('-dash'), u8('Zed'),
];
const LINK_TARGET = Buffer.from('target\xfe"\\<x>', 'latin1');

function pathOf(dir: string, name: Buffer): Buffer {
  return Buffer.concat([u8(`${dir}/`), name]);
}

function makeSource(src: string): void {
  mkdirSync(join(src, 'sub', 'empty'), { recursive: true });
  FILE_NAMES.forEach((name, i) => writeFileSync(pathOf(src, name), `content ${i}\n`.repeat(i)));
  mkdirSync(join(src, 'badlink'));
  symlinkSync(LINK_TARGET, join(src, 'badlink', 'link'));
  symlinkSync('plain/target', join(src, 'link2'));
  writeFileSync(join(src, 'sub', 'empty.txt'), '');
  linkSync(join(src, 'sub', 'empty.txt'), join(src, 'sub', 'hard'));
  assert.equal(spawnSync('mkfifo', [join(src, 'fifo')]).status, 0);
  chmodSync(join(src, 'sub'), 0o1777);
  chmodSync(pathOf(src, u8('tab\tname')), 0o4755);
  chmodSync(pathOf(src, u8('ok.txt')), 0o2640);
}

function restic(env: NodeJS.ProcessEnv, args: string[]): Buffer {
  const r = spawnSync(RESTIC, args, { env, maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `restic ${args.join(' ')}: ${r.stderr?.toString()}`);
  return r.stdout;
}

/** Walks every tree under `id`, checking each one and collecting its nodes by tree id. */
function walk(cat: (id: string) => Buffer, id: string, seen: Map<string, TreeNode[]>): void {
  const raw = cat(id);
  assert.equal(hashId(raw), id, 'tree bytes hash to the tree id');
  const nodes = decodeTree(raw);
  // Go itself reads "\ufffd" (written for invalid UTF-8) back as U+FFFD; only that tree may differ, and only so.
  const expected = nodes.some((n) => n.name.equals(u8('link'))) ? raw.toString('utf8').replace('\\ufffd', '\ufffd') : raw.toString('utf8');
  assert.equal(encodeTree(nodes).toString('utf8'), expected, `tree ${id.slice(0, 8)} re-encodes byte-identically`);
  seen.set(id, nodes);
  for (const node of nodes) if (node.subtree !== undefined) walk(cat, node.subtree, seen);
}

function checkAgainstLstat(src: string, nodes: TreeNode[]): void {
  for (const node of nodes) {
    const st = lstatSync(pathOf(src, node.name), { bigint: true });
    const label = JSON.stringify(node.name.toString('latin1'));
    assert.equal(node.mode, goModeFromUnix(Number(st.mode)), `mode of ${label}`);
    assert.equal(node.type, nodeTypeFromUnixMode(Number(st.mode)), `type of ${label}`);
    assert.equal(node.inode, st.ino, `inode of ${label}`);
    assert.equal(node.mtime, st.mtimeNs, `mtime of ${label}`);
  }
}

test('trees, index and snapshot written by restic 0.14 decode and re-encode byte-identically', { skip: !existsSync(RESTIC) && 'restic not installed' }, () => {
  const base = mkdtempSync(join(tmpdir(), 'codecs-restic-'));
  try {
    const src = join(base, 'src');
    makeSource(src);
    // TZ=UTC: restic 0.14 writes times in the local zone, and we always write 'Z'.
    const env = { ...process.env, RESTIC_PASSWORD: 'codecs', RESTIC_REPOSITORY: join(base, 'repo'), RESTIC_CACHE_DIR: join(base, 'cache'), TZ: 'UTC' };
    restic(env, ['init', '-q']);
    restic(env, ['backup', '-q', src]);
    const [snap] = JSON.parse(restic(env, ['snapshots', '--json']).toString()) as { id: string; tree: string }[];
    assert.ok(snap);

    const seen = new Map<string, TreeNode[]>();
    walk((id) => restic(env, ['cat', 'blob', id]), snap.tree, seen);
    const srcTree = [...seen.values()].find((nodes) => nodes.some((n) => n.name.equals(u8('link2'))));
    assert.ok(srcTree, 'the backed-up directory was found down the path');
    const expected = [...FILE_NAMES, u8('badlink'), u8('link2'), u8('sub'), u8('fifo')].sort(Buffer.compare);
    assert.deepEqual(srcTree.map((n) => n.name), expected);
    checkAgainstLstat(src, srcTree);
    const link = [...seen.values()].flat().find((n) => n.name.equals(u8('link')));
    assert.deepEqual(link?.linktarget, Buffer.from(LINK_TARGET.toString('utf8')), 'invalid UTF-8 in a target is stored as U+FFFD');

    const indexIds = restic(env, ['list', 'index']).toString().trim().split('\n');
    for (const indexId of indexIds) {
      const raw = restic(env, ['cat', 'index', indexId]);
      const json = raw.subarray(0, raw.length - 1); // `cat` adds a newline after the stored one
      assert.deepEqual(encodeIndex(parseIndex(json)).toString(), json.toString(), 'index re-encodes byte-identically');
    }

    // `cat snapshot` pretty-prints; compacted, it is what Go's json.Marshal writes.
    const pretty = restic(env, ['cat', 'snapshot', snap.id]);
    const parsed = parseSnapshot(pretty);
    assert.equal(parsed.tree, snap.tree);
    assert.deepEqual(parsed.paths, [src]);
    assert.equal(encodeSnapshot(parsed).toString(), JSON.stringify(JSON.parse(pretty.toString())));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
