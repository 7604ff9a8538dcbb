/** Go os.FileMode bits against Unix st_mode, with the values restic 0.14 was seen writing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goModeFromUnix, nodeTypeFromUnixMode, unixPermFromGo, type NodeType } from '../../src/format/filemode.js';

// [st_mode, type, Go FileMode, perm back]; the Go values for dir/symlink/file/fifo/sticky dir/setuid
// file were read from trees restic 0.14.0 wrote (spec §6 and this suite's restic test).
const CASES: [number, NodeType, number, number][] = [
  [0o100644, 'file', 420, 0o644],
  [0o040755, 'dir', 2147484141, 0o755],
  [0o120777, 'symlink', 134218239, 0o777],
  [0o010644, 'fifo', 33554852, 0o644],
  [0o041777, 'dir', 2148532735, 0o1777],
  [0o104755, 'file', 8389101, 0o4755],
  [0o102755, 'file', 2 ** 22 + 0o755, 0o2755],
  [0o107777, 'file', 2 ** 23 + 2 ** 22 + 2 ** 20 + 0o777, 0o7777],
  [0o060660, 'dev', 2 ** 26 + 0o660, 0o660],
  [0o020620, 'chardev', 2 ** 26 + 2 ** 21 + 0o620, 0o620],
  [0o140755, 'socket', 2 ** 24 + 0o755, 0o755],
  [0o040000, 'dir', 2 ** 31, 0],
];

test('st_mode to node type and Go FileMode, and back to chmod bits', () => {
  for (const [stMode, type, goMode, perm] of CASES) {
    const label = stMode.toString(8);
    assert.equal(nodeTypeFromUnixMode(stMode), type, label);
    assert.equal(goModeFromUnix(stMode), goMode, label);
    assert.ok(goModeFromUnix(stMode) >= 0, `${label} must be unsigned`);
    assert.equal(unixPermFromGo(goMode), perm, label);
  }
});

test('an unknown file type is irregular and gets only permission bits, as in Go', () => {
  assert.equal(nodeTypeFromUnixMode(0o170644), 'irregular');
  assert.equal(nodeTypeFromUnixMode(0o000644), 'irregular');
  assert.equal(goModeFromUnix(0o170644), 0o644);
});

test('real lstat results map like Go', () => {
  const dir = mkdtempSync(join(tmpdir(), 'codecs-mode-'));
  try {
    writeFileSync(join(dir, 'f'), 'x');
    chmodSync(join(dir, 'f'), 0o640);
    mkdirSync(join(dir, 'd'), 0o750);
    chmodSync(join(dir, 'd'), 0o750);
    symlinkSync('f', join(dir, 'l'));
    assert.equal(goModeFromUnix(lstatSync(join(dir, 'f')).mode), 0o640);
    assert.equal(goModeFromUnix(lstatSync(join(dir, 'd')).mode), 2 ** 31 + 0o750);
    assert.equal(goModeFromUnix(lstatSync(join(dir, 'l')).mode), 134218239);
    assert.equal(nodeTypeFromUnixMode(lstatSync(join(dir, 'l')).mode), 'symlink');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
