/**
 * Acceptance: Holdfast reads repositories restic 0.14 made: format v2 with
 * compression auto, v2 with compression off, and format v1. Restic backs up
 * the awkward fixture tree (about 30 MiB) twice; Holdfast must restore the
 * latest snapshot byte for byte, pass its own `check --read-data`, list
 * restic's snapshot ids and list the files as restic does.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildFixtureTree } from './fixture-tree.js';
import { NO_RESTIC,
  ANY_MTIME, asRestic014Stores, captureTree, compareTrees, explain, holdfast, jsonLines, ok, restic, scratchDir, summaryOf,
  type Scratch, type Tree,
} from './helpers.js';

const MiB = 1 << 20;

interface LsNode {
  readonly path: string;
  readonly type: string;
  readonly size?: number;
}

/** The nodes `holdfast repo ls --json` and `restic ls --json` print for the latest snapshot. */
async function lsBoth(repo: string): Promise<[LsNode[], LsNode[]]> {
  const mine = jsonLines(ok(await holdfast(['repo', 'ls', '-r', repo, '--json', 'latest']), 'holdfast repo ls').out) as LsNode[];
  const theirs = jsonLines(ok(await restic(['-r', repo, 'ls', '--json', 'latest']), 'restic ls').out) as (LsNode & { struct_type?: string })[];
  return [mine, theirs.filter((n) => n.struct_type === 'node')];
}

interface Variant {
  readonly name: string;
  readonly init: string[];
  readonly backup: string[];
}

const VARIANTS: readonly Variant[] = [
  { name: 'format v2, --compression auto', init: [], backup: ['--compression', 'auto'] },
  { name: 'format v2, --compression off', init: [], backup: ['--compression', 'off'] },
  { name: 'format v1', init: ['--repository-version', '1'], backup: [] },
];

describe('Holdfast reads repositories restic 0.14 wrote', { skip: NO_RESTIC }, () => {
  let scratch: Scratch;
  let src: string;
  let expected: Tree;

  before(async () => {
    scratch = await scratchDir('holdfast-reads');
    src = scratch.join('source');
    await buildFixtureTree(src, { bigFileBytes: 24 * MiB, sparseBytes: 8 * MiB, seed: 'holdfast-reads-restic' });
    expected = asRestic014Stores(await captureTree(src));
  });

  after(async () => {
    await scratch?.dispose();
  });

  for (const [i, variant] of VARIANTS.entries()) {
    describe(variant.name, () => {
      const repo = (): string => scratch.join(`repo-${i}`);
      const snapshotIds: string[] = [];
      let restored: Tree | undefined;

      before(async () => {
        ok(await restic(['init', '-r', repo(), ...variant.init]), 'restic init');
        for (const tag of ['first', 'second']) {
          const r = ok(await restic(['-r', repo(), 'backup', '--json', '--tag', tag, ...variant.backup, src]), 'restic backup');
          snapshotIds.push(String(summaryOf(r)['snapshot_id']));
        }
        const config = ok(await restic(['-r', repo(), 'cat', 'config']), 'restic cat config');
        assert.equal((JSON.parse(config.out) as { version: number }).version, variant.init.length > 0 ? 1 : 2);
      });

      it('restores the latest snapshot: names, contents, link targets, modes, hardlinks', async () => {
        const target = scratch.join(`restore-${i}`);
        ok(await holdfast(['repo', 'restore', '-r', repo(), 'latest', '--target', target]), 'holdfast repo restore');
        restored = await captureTree(join(target, src));
        await rm(target, { recursive: true, force: true });
        assert.deepEqual(compareTrees(expected, restored, { mtimeToleranceNs: ANY_MTIME, hardlinks: true }), []);
      });

      it('restores mtimes to the microsecond', () => {
        assert.ok(restored !== undefined, 'the restore above did not run');
        assert.deepEqual(compareTrees(expected, restored, { mtimeToleranceNs: 999n, hardlinks: false }), []);
      });

      it('passes `holdfast repo check --read-data`', async () => {
        const r = await holdfast(['repo', 'check', '-r', repo(), '--read-data']);
        assert.equal(r.code, 0, explain(r));
      });

      it('lists restic\'s snapshot ids with `holdfast repo snapshots --json`', async () => {
        const mine = JSON.parse(ok(await holdfast(['repo', 'snapshots', '-r', repo(), '--json']), 'holdfast repo snapshots').out) as { id: string; tags?: string[] }[];
        const theirs = JSON.parse(ok(await restic(['-r', repo(), 'snapshots', '--json']), 'restic snapshots').out) as { id: string }[];
        assert.equal(snapshotIds.length, 2);
        assert.deepEqual(mine.map((s) => s.id).sort(), theirs.map((s) => s.id).sort());
        assert.deepEqual(mine.map((s) => s.id.slice(0, 8)).sort(), [...snapshotIds].sort());
        assert.deepEqual(mine.map((s) => s.tags), [['first'], ['second']]);
      });

      it('lists the files with `holdfast repo ls --json` as `restic ls --json` does', async () => {
        const [mine, theirs] = await lsBoth(repo());
        const row = (n: LsNode): string => `${n.type} ${n.path}`;
        assert.deepEqual(mine.map(row), theirs.map(row));
        const names = new Set(mine.map((n) => n.path));
        for (const key of expected.keys()) assert.ok(names.has(key === '' ? src : `${src}/${Buffer.from(key, 'latin1').toString('utf8')}`), `ls lacks ${key}`);
      });

      it('reports each file\'s size in `ls --json` as restic does', async () => {
        const [mine, theirs] = await lsBoth(repo());
        const row = (n: LsNode): string => `${n.type} ${n.size ?? '-'} ${n.path}`;
        assert.deepEqual(mine.map(row), theirs.map(row));
      });

      it('prints the same `ls` lines as restic, raw name bytes included', async () => {
        const mine = ok(await holdfast(['repo', 'ls', '-r', repo(), 'latest']), 'holdfast repo ls').stdout;
        const theirs = ok(await restic(['-r', repo(), 'ls', 'latest']), 'restic ls').stdout;
        const body = theirs.subarray(theirs.indexOf('\n') + 1); // restic's first line names the snapshot
        assert.ok(body.length > 0 && theirs.subarray(0, 9).toString() === 'snapshot ', 'unexpected restic ls output');
        assert.equal(mine.toString('latin1'), body.toString('latin1'));
      });
    });
  }
});
