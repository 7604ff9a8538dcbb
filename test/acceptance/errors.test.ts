/**
 * Acceptance: how the CLI fails. Exit codes follow restic's table (12 wrong
 * password, 10 no repository, 3 some source unreadable, 1 other fatal
 * errors), messages say what went wrong, a backup that could read only part
 * of its sources still saves a snapshot, and every `--json` output parses.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { explain, holdfast, jsonLines, ok, scratchDir, summaryOf, type RunOptions, type Scratch } from './helpers.js';

const NOBODY = 65534;

interface SnapshotJson {
  readonly id: string;
  readonly paths: string[];
}

describe('the CLI fails the way restic does', () => {
  let scratch: Scratch;
  let repo: string;
  let src: string;

  const snapshots = async (at: string, opts: RunOptions = {}): Promise<SnapshotJson[]> =>
    JSON.parse(ok(await holdfast(['repo', 'snapshots', '-r', at, '--json'], opts), 'holdfast repo snapshots').out) as SnapshotJson[];
  const freshRepo = async (name: string, opts: RunOptions = {}): Promise<string> => {
    const at = scratch.join(name);
    ok(await holdfast(['repo', 'init', '-r', at], opts), 'holdfast repo init');
    return at;
  };

  before(async () => {
    scratch = await scratchDir('errors');
    src = scratch.join('src');
    await mkdir(join(src, 'sub'), { recursive: true });
    await writeFile(join(src, 'a.txt'), 'alpha\n');
    await writeFile(join(src, 'sub', 'b.txt'), 'beta\n');
    repo = await freshRepo('repo');
    ok(await holdfast(['repo', 'backup', '-r', repo, src]), 'holdfast repo backup');
  });

  after(async () => {
    await scratch?.dispose();
  });

  it('exits 12 and says "wrong password" when the password opens no key', async () => {
    const r = await holdfast(['repo', 'snapshots', '-r', repo], { password: 'not the password' });
    assert.equal(r.code, 12, explain(r));
    assert.match(r.err, /wrong password/, explain(r));
    assert.equal(r.out, '', 'printed something on stdout');
  });

  for (const [what, name, prepare] of [
    ['an empty folder', 'empty', (p: string) => mkdir(p)],
    ['a missing folder', 'missing', async () => undefined],
  ] as const) {
    it(`exits 10 when the repository is ${what}, for every command`, async () => {
      const at = scratch.join(name);
      await prepare(at);
      for (const args of [['snapshots'], ['ls', 'latest'], ['backup', src], ['restore', 'latest', '--target', scratch.join(`${name}-t`)]]) {
        const [cmd, ...rest] = args;
        const r = await holdfast(['repo', cmd!, '-r', at, ...rest]);
        assert.equal(r.code, 10, `${cmd}: ${explain(r)}`);
        assert.ok(r.err.includes(at), `${cmd}: the message does not name the location: ${r.err}`);
      }
    });
  }

  it('exits 1 with a message naming the id when restoring a snapshot that does not exist', async () => {
    for (const id of ['0123abcd', 'f'.repeat(64)]) {
      const r = await holdfast(['repo', 'restore', '-r', repo, id, '--target', scratch.join('never')]);
      assert.equal(r.code, 1, explain(r));
      assert.match(r.err, /snapshot/i, explain(r));
      assert.ok(r.err.includes(id), `the message does not name ${id}: ${r.err}`);
    }
  });

  it('exits 3 when one path is missing, names it, and still saves a snapshot of the other', async () => {
    const at = await freshRepo('partial');
    const missing = scratch.join('no-such-path');
    const r = await holdfast(['repo', 'backup', '-r', at, '--json', src, missing]);
    assert.equal(r.code, 3, explain(r));
    assert.ok(r.err.includes(missing), `stderr does not name ${missing}: ${r.err}`);
    const id = String(summaryOf(r)['snapshot_id']);
    assert.deepEqual((await snapshots(at)).map((s) => s.id), [id]);
    const listed = jsonLines(ok(await holdfast(['repo', 'ls', '-r', at, '--json', id]), 'holdfast repo ls').out) as { path: string }[];
    for (const p of [join(src, 'a.txt'), join(src, 'sub', 'b.txt')]) assert.ok(listed.some((n) => n.path === p), `snapshot lacks ${p}`);
  });

  it('refuses a backup whose every path is missing, saving no snapshot', async () => {
    const at = await freshRepo('all-missing');
    const r = await holdfast(['repo', 'backup', '-r', at, scratch.join('gone-1'), scratch.join('gone-2')]);
    assert.equal(r.code, 1, explain(r));
    assert.deepEqual(await snapshots(at), []);
  });

  it('exits 3 on an unreadable file, names it, and saves a snapshot with the rest', async () => {
    // chmod 000 does not stop root, so as root the backup runs as the unprivileged user "nobody".
    const as: RunOptions = process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};
    const dir = scratch.join('unreadable');
    await mkdir(join(dir, 'src'), { recursive: true, mode: 0o777 });
    await chmod(scratch.path, 0o755);
    await chmod(dir, 0o777);
    await writeFile(join(dir, 'src', 'fine.txt'), 'readable\n', { mode: 0o644 });
    await writeFile(join(dir, 'src', 'secret.txt'), 'no one may read this\n');
    await chmod(join(dir, 'src', 'secret.txt'), 0o000);
    const at = await freshRepo(join('unreadable', 'repo'), as);
    const r = await holdfast(['repo', 'backup', '-r', at, '--json', join(dir, 'src')], as);
    assert.equal(r.code, 3, explain(r));
    assert.ok(r.err.includes('secret.txt'), `stderr does not name the file: ${r.err}`);
    const id = String(summaryOf(r)['snapshot_id']);
    assert.deepEqual((await snapshots(at, as)).map((s) => s.id), [id]);
    const dump = await holdfast(['repo', 'restore', '-r', at, `${id}:${join(dir, 'src', 'fine.txt')}`, '--target', '-'], as);
    assert.equal(dump.out, 'readable\n', explain(dump));
  });

  it('prints JSON that parses for every --json command', async () => {
    const at = scratch.join('json');
    const init = ok(await holdfast(['repo', 'init', '-r', at, '--json']), 'init --json');
    assert.match(String((JSON.parse(init.out) as { id: string }).id), /^[0-9a-f]{64}$/);
    const backup = ok(await holdfast(['repo', 'backup', '-r', at, '--json', src]), 'backup --json');
    const lines = jsonLines(backup.out);
    assert.ok(lines.length >= 1);
    const id = String(summaryOf(backup)['snapshot_id']);
    assert.match(id, /^[0-9a-f]{64}$/);
    const list = await snapshots(at);
    assert.deepEqual(list.map((s) => [s.id, s.paths]), [[id, [src]]]);
    const ls = jsonLines(ok(await holdfast(['repo', 'ls', '-r', at, '--json', 'latest']), 'ls --json').out) as { path: string; type: string }[];
    assert.ok(ls.some((n) => n.path === join(src, 'sub', 'b.txt') && n.type === 'file'));
    const restored = ok(await holdfast(['repo', 'restore', '-r', at, '--json', 'latest', '--target', scratch.join('json-t')]), 'restore --json');
    assert.equal(summaryOf(restored)['snapshot_id'], id);
    const keys = JSON.parse(ok(await holdfast(['repo', 'key', 'list', '-r', at, '--json']), 'key list --json').out) as unknown[];
    assert.equal(keys.length, 1);
    const unlock = JSON.parse(ok(await holdfast(['repo', 'unlock', '-r', at, '--json']), 'unlock --json').out) as { removed: number };
    assert.equal(unlock.removed, 0);
  });
});
