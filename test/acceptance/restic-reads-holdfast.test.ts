/**
 * Acceptance: restic 0.14 reads what Holdfast writes. Holdfast backs up the
 * awkward fixture tree (with a 256 MiB file); restic must find no error with
 * `check --read-data` and restore the tree byte for byte (names as bytes,
 * contents, link targets, modes, mtimes to the ns, hardlinks). Holdfast's own
 * restore must give the same tree, with mtimes to the microsecond.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AWKWARD_NAMES, buildFixtureTree } from './fixture-tree.js';
import { NO_RESTIC,
  ANY_MTIME, asRestic014Stores, captureTree, compareTrees, explain, hardlinkGroups, holdfast, jsonLines, ok, restic, scratchDir, summaryOf,
  type Scratch, type Tree,
} from './helpers.js';

const MiB = 1 << 20;

describe('restic 0.14 reads a repository Holdfast wrote', { skip: NO_RESTIC }, () => {
  let scratch: Scratch;
  let src: string;
  let repo: string;
  let expected: Tree;
  let snapshotId: string;

  before(async () => {
    scratch = await scratchDir('restic-reads');
    src = scratch.join('source');
    repo = scratch.join('repo');
    await buildFixtureTree(src, { bigFileBytes: 256 * MiB, sparseBytes: 50 * MiB, seed: 'restic-reads-holdfast' });
    expected = await captureTree(src);
    ok(await holdfast(['repo', 'init', '-r', repo]), 'holdfast repo init');
    const backup = ok(await holdfast(['repo', 'backup', '-r', repo, '--json', src]), 'holdfast repo backup');
    snapshotId = String(summaryOf(backup)['snapshot_id']);
  });

  after(async () => {
    await scratch?.dispose();
  });

  it('backs up a fixture that has every awkward case the criteria name', () => {
    for (const name of AWKWARD_NAMES) assert.ok(expected.has(`names/${name.toString('latin1')}`), `fixture lacks ${name.toString('hex')}`);
    assert.deepEqual(hardlinkGroups(expected).map((g) => g.length), [3]);
    assert.equal(expected.get('data/big.bin')?.size, BigInt(256 * MiB));
    assert.equal(expected.get('links/dangling')?.kind, 'symlink');
    assert.equal(expected.get('modes/m640')?.perm, 0o640);
    assert.match(snapshotId, /^[0-9a-f]{64}$/);
  });

  it('passes `restic check --read-data` with no errors', async () => {
    const r = await restic(['-r', repo, 'check', '--read-data']);
    assert.equal(r.code, 0, explain(r));
    assert.match(r.out, /no errors were found/, explain(r));
  });

  it('shows Holdfast\'s snapshot in `restic snapshots --json`', async () => {
    const r = ok(await restic(['-r', repo, 'snapshots', '--json']), 'restic snapshots');
    const list = JSON.parse(r.out) as { id: string; paths: string[] }[];
    assert.deepEqual(list.map((s) => [s.id, s.paths]), [[snapshotId, [src]]]);
  });

  it('is restored by `restic restore` byte for byte, mtimes to the nanosecond, hardlinks kept', async () => {
    const target = scratch.join('restic-restore');
    ok(await restic(['-r', repo, 'restore', 'latest', '--target', target]), 'restic restore');
    const actual = await captureTree(join(target, src));
    await rm(target, { recursive: true, force: true });
    assert.deepEqual(compareTrees(asRestic014Stores(expected), actual, { mtimeToleranceNs: 0n, hardlinks: true }), []);
  });

  describe('`holdfast repo restore`', () => {
    let restored: Tree | undefined;

    it('restores names, contents, link targets, modes and hardlinks byte for byte', async () => {
      const target = scratch.join('holdfast-restore');
      ok(await holdfast(['repo', 'restore', '-r', repo, 'latest', '--target', target]), 'holdfast repo restore');
      restored = await captureTree(join(target, src));
      await rm(target, { recursive: true, force: true });
      assert.deepEqual(compareTrees(asRestic014Stores(expected), restored, { mtimeToleranceNs: ANY_MTIME, hardlinks: true }), []);
    });

    it('restores mtimes to the microsecond', () => {
      assert.ok(restored !== undefined, 'the restore above did not run');
      assert.deepEqual(compareTrees(asRestic014Stores(expected), restored, { mtimeToleranceNs: 999n, hardlinks: false }), []);
    });
  });

  it('lists the same files with `restic ls --json` as the source has', async () => {
    const r = ok(await restic(['-r', repo, 'ls', 'latest', '--json']), 'restic ls');
    const nodes = jsonLines(r.out).filter((l) => (l as { struct_type?: string }).struct_type === 'node') as { path: string }[];
    const below = nodes.map((n) => n.path).filter((p) => p.startsWith(`${src}/`));
    const lossy = (key: string): string => `${src}/${Buffer.from(key, 'latin1').toString('utf8')}`;
    assert.deepEqual(below.sort(), [...expected.keys()].filter((k) => k !== '').map(lossy).sort());
  });
});
