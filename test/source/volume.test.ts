/**
 * The volume driver: a directory tree and a single disk-image file round-trip
 * through restic's restore layout; hooks run around the backup, the post hook
 * also on failure and on abort.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { isHoldfastError } from '../../src/common/errors.js';
import { volumeDriver } from '../../src/source/volume.js';
import { consume, fakeSource, rejectsUnreadable, sourceConformance } from './conformance.js';

/** Every entry's relative path, kind, mode and content hash (or link target). */
async function treeFingerprint(root: string): Promise<string> {
  const lines: string[] = [];
  const walk = async (p: string): Promise<void> => {
    const s = await lstat(p).catch(() => undefined);
    if (s === undefined) return void lines.push(`${relative(root, p)} missing`);
    const name = relative(root, p) || '.';
    const mode = (s.mode & 0o7777).toString(8);
    if (s.isSymbolicLink()) lines.push(`${name} link ${await readlink(p)}`);
    else if (s.isFile()) lines.push(`${name} file ${mode} ${createHash('sha256').update(await readFile(p)).digest('hex')}`);
    else if (s.isDirectory()) {
      lines.push(`${name} dir ${mode}`);
      for (const child of (await readdir(p)).sort()) await walk(join(p, child));
    }
  };
  await walk(root);
  return lines.join('\n');
}

async function makeTree(root: string): Promise<void> {
  await mkdir(join(root, 'sub/deeper'), { recursive: true });
  await writeFile(join(root, 'a.txt'), 'alpha\n');
  await writeFile(join(root, 'empty'), '');
  await writeFile(join(root, 'sub/deeper/random.bin'), randomBytes(300_000));
  await chmod(join(root, 'a.txt'), 0o640);
  await symlink('../a.txt', join(root, 'sub/link'));
}

const work = await mkdtemp(join(tmpdir(), 'holdfast-volume-'));
after(() => rm(work, { recursive: true, force: true }));

sourceConformance('volume (directory)', volumeDriver, async () => {
  const path = join(work, 'tree');
  await makeTree(path);
  return {
    config: { path },
    target: { path },
    fingerprint: () => treeFingerprint(path),
    damage: async () => {
      await rm(join(path, 'sub'), { recursive: true });
      await writeFile(join(path, 'a.txt'), 'changed');
      await writeFile(join(path, 'new-file'), 'not in the backup');
    },
    failing: { config: { path: join(work, 'missing') } },
    abortKills: false,
    cleanup: async () => {},
  };
});

sourceConformance('volume (disk image file)', volumeDriver, async () => {
  const path = join(work, 'images/disk.img');
  await mkdir(join(work, 'images'));
  await writeFile(path, randomBytes(3 << 20));
  return {
    config: { path },
    target: { path },
    fingerprint: () => treeFingerprint(path),
    damage: () => writeFile(path, randomBytes(1000)),
    failing: { config: { path: join(work, 'images/missing.img') } },
    abortKills: false,
    cleanup: async () => {},
  };
});

describe('volume driver', () => {
  const ctx = { scratchDir: work, env: process.env };
  const logHook = (log: string, word: string): string[] => ['sh', '-c', `echo ${word} >> "$0"`, log];

  it('runs the pre hook before and the post hook after the backup', async () => {
    const log = join(work, 'hooks.log');
    const config = volumeDriver.parseConfig({ path: work, preHook: logHook(log, 'pre'), postHook: logHook(log, 'post') });
    const session = await volumeDriver.openBackup(config, ctx);
    assert.equal(await readFile(log, 'utf8'), 'pre\n');
    assert.deepEqual(session.input, { kind: 'paths', paths: [work] });
    await session.finish();
    await session.abort();
    assert.equal(await readFile(log, 'utf8'), 'pre\npost\n', 'the post hook runs exactly once');
  });

  it('runs the post hook when the pre hook fails, and reports the pre hook', async () => {
    const log = join(work, 'failing-hooks.log');
    const config = volumeDriver.parseConfig({ path: work, preHook: ['sh', '-c', 'echo frozen-fs-busy >&2; exit 4'], postHook: logHook(log, 'post') });
    const err = await rejectsUnreadable(volumeDriver.openBackup(config, ctx));
    assert.match(err.message, /pre hook.*code 4.*frozen-fs-busy/);
    assert.equal(await readFile(log, 'utf8'), 'post\n');
  });

  it('restores to a different path, creating its parents', async () => {
    const path = join(work, 'tree2');
    await makeTree(path);
    const config = volumeDriver.parseConfig({ path });
    const session = await volumeDriver.openBackup(config, ctx);
    const collected = await consume(session.input, join(work, 'holding2'));
    await session.finish();
    const dest = join(work, 'elsewhere/deep/copy');
    await volumeDriver.restore(config, volumeDriver.parseTarget({ path: dest }, config), fakeSource(collected), ctx);
    assert.equal(await treeFingerprint(dest), await treeFingerprint(path));
    assert.deepEqual((await readdir(join(work, 'elsewhere/deep'))).sort(), ['copy'], 'no scratch directory is left behind');
  });

  it('rejects relative paths, hooks that are not argv, and the root as a target', () => {
    const invalid = (f: () => unknown): void => assert.throws(f, (e: unknown) => isHoldfastError(e, 'INVALID_ARGUMENT'));
    invalid(() => volumeDriver.parseConfig({ path: 'rel/path' }));
    invalid(() => volumeDriver.parseConfig({ path: '/x', preHook: 'fsfreeze -f /x' }));
    invalid(() => volumeDriver.parseTarget({ path: '/' }, { path: '/x' }));
  });
});
