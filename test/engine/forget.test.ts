/**
 * forget on a real repository made with the CLI: five snapshots of two paths
 * with tags. Which snapshots a policy keeps, and why, must match what the
 * real restic 0.14 decides on a copy of the same repository; ids, dry runs,
 * empty policies, filters and locking behave as restic's forget does, and
 * restic's own `snapshots` and `check` read the result.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { cryptoRandom, systemClock } from '../../src/common/clock.js';
import { localBackend } from '../../src/backend/local.js';
import { openRepository } from '../../src/repository/open.js';
import { createRepository } from '../../src/repository/repository.js';
import { acquireLock } from '../../src/repository/lock.js';
import { matchesForgetFilter } from '../../src/engine/forget.js';
import { describePolicy, parseGroupBy } from '../../src/cli/repo/forget.js';
import { explain, HOLDFAST_BIN, ok, PASSWORD, restic, run, scratchDir, treeBytes, type RunResult, type Scratch } from '../acceptance/helpers.js';

const noRestic = existsSync('/usr/bin/restic') ? false : 'restic 0.14 is not installed';

let scratch: Scratch;
let base = '';
let src1 = '';
let src2 = '';
/** Snapshot ids in the order they were made: 0 (src1, tag keep), 1 (src1), 2 (src2), 3 (src1), 4 (src1, tag x). */
const s: string[] = [];
let copies = 0;

/** Runs the CLI through its launcher (whatever it is written in), as a user would. */
function holdfast(args: readonly string[]): Promise<RunResult> {
  return run(HOLDFAST_BIN, args, { env: { HOLDFAST_PASSWORD: PASSWORD } });
}

async function backup(repo: string, dir: string, tags: string[] = []): Promise<string> {
  const r = ok(await holdfast(['repo', 'backup', '-r', repo, '--json', ...tags.flatMap((t) => ['--tag', t]), dir]), 'backup');
  const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return String(lines.find((l) => l['message_type'] === 'summary')?.['snapshot_id']);
}

function copyOfBase(): string {
  const dir = scratch.join(`repo-${++copies}`);
  cpSync(base, dir, { recursive: true });
  return dir;
}

function snapshotFiles(repo: string): string[] {
  return readdirSync(`${repo}/snapshots`).sort();
}

async function resticSnapshotIds(repo: string): Promise<string[]> {
  const r = ok(await restic(['-r', repo, 'snapshots', '--json']), 'restic snapshots');
  return (JSON.parse(r.out) as { id: string }[]).map((x) => x.id).sort();
}

interface JsonGroup {
  keep: { id: string }[] | null;
  remove: { id: string }[] | null;
  reasons: { matches: string[] }[] | null;
}

/** Kept id → reasons, and removed ids, from restic's forget --json shape (reasons are parallel to keep). */
function decisions(groups: JsonGroup[]): { keep: Map<string, string[]>; remove: string[] } {
  const keep = new Map<string, string[]>();
  const remove: string[] = [];
  for (const g of groups) {
    (g.keep ?? []).forEach((k, i) => keep.set(k.id, [...(g.reasons?.[i]?.matches ?? [])].sort()));
    remove.push(...(g.remove ?? []).map((r) => r.id));
  }
  return { keep, remove: remove.sort() };
}

/** restic prints nothing in JSON mode when no group was formed. */
const parseGroups = (out: string): JsonGroup[] => (out.trim() === '' ? [] : (JSON.parse(out.trim().split('\n')[0]!) as JsonGroup[]));

before(async () => {
  scratch = await scratchDir('forget');
  src1 = scratch.join('src1');
  src2 = scratch.join('src2');
  mkdirSync(src1);
  mkdirSync(src2);
  base = scratch.join('base');
  ok(await holdfast(['repo', 'init', '-r', base]), 'init');
  writeFileSync(`${src2}/other`, randomBytes(50_000));
  const steps: [string, string[]][] = [[src1, ['keep']], [src1, []], [src2, []], [src1, []], [src1, ['x']]];
  for (const [i, [dir, tags]] of steps.entries()) {
    // Each snapshot of src1 holds only its own file, so forgetting one frees its data.
    rmSync(`${src1}/file-${i - 1}`, { force: true });
    writeFileSync(`${src1}/file-${i}`, randomBytes(100_000));
    s.push(await backup(base, dir, tags));
  }
});

after(() => scratch?.dispose());

describe('forget by policy', () => {
  test('--keep-last 2 leaves the newest 2 of the 4 snapshots of a group; restic snapshots agrees', { skip: noRestic }, async () => {
    const repo = copyOfBase();
    const r = ok(await holdfast(['repo', 'forget', '-r', repo, '--keep-last', '2']), 'forget');
    assert.match(r.out, /Applying Policy: keep 2 latest snapshots/);
    assert.match(r.out, /keep 2 snapshots:/);
    assert.match(r.out, /remove 2 snapshots:/);
    assert.match(r.out, /last snapshot/);
    // The src2 group has a single snapshot, which stays; of src1's four, the two newest stay.
    const expected = [s[2]!, s[3]!, s[4]!].sort();
    assert.deepEqual(await resticSnapshotIds(repo), expected);
    assert.deepEqual(snapshotFiles(repo), expected);
    ok(await restic(['-r', repo, 'check']), 'restic check');
  });

  const policies: string[][] = [
    ['--keep-last', '1'],
    ['--keep-last', '3'],
    ['--keep-daily', '1'],
    ['--keep-tag', 'keep', '--keep-last', '1'],
    ['--keep-last', '2', '--group-by', 'tags'],
    ['--keep-last', '1', '--group-by', ''],
    ['--keep-within', '1h', '--keep-last', '1'],
    ['--tag', 'keep', '--tag', 'x', '--keep-last', '1'],
    ['--path', '/nonexistent', '--keep-last', '1'],
    ['--host', 'nosuchhost', '--keep-last', '1'],
  ];
  for (const policy of policies) {
    test(`decides like restic 0.14 for ${policy.join(' ')}`, { skip: noRestic }, async () => {
      const mine = ok(await holdfast(['repo', 'forget', '-r', base, '--dry-run', '--json', ...policy]), 'holdfast forget');
      const theirs = ok(await restic(['-r', base, 'forget', '--dry-run', '--json', ...policy]), 'restic forget');
      const want = decisions(parseGroups(theirs.out));
      const got = decisions(parseGroups(mine.out));
      assert.deepEqual(got.remove, want.remove);
      assert.deepEqual([...got.keep.entries()].sort(), [...want.keep.entries()].sort());
      assert.equal(snapshotFiles(base).length, 5, 'a dry run must not remove anything');
    });
  }

  test('a dry run removes nothing and says what it would remove', async () => {
    const repo = copyOfBase();
    const r = ok(await holdfast(['repo', 'forget', '-r', repo, '--keep-last', '1', '--dry-run']), 'forget --dry-run');
    assert.match(r.out, /Would have removed the following snapshots:/);
    assert.ok(r.out.includes(s[0]!.slice(0, 8)));
    assert.equal(snapshotFiles(repo).length, 5);
  });

  test('an empty policy removes nothing and says so', async () => {
    const repo = copyOfBase();
    const r = ok(await holdfast(['repo', 'forget', '-r', repo]), 'forget');
    assert.match(r.out, /no policy was specified, no snapshots will be removed/);
    assert.equal(snapshotFiles(repo).length, 5);
    const json = ok(await holdfast(['repo', 'forget', '-r', repo, '--json']), 'forget --json');
    assert.deepEqual(JSON.parse(json.out), []);
  });
});

describe('forget by id', () => {
  test('removes exactly the named snapshots, by full id or unique prefix', { skip: noRestic }, async () => {
    const repo = copyOfBase();
    const r = ok(await holdfast(['repo', 'forget', '-r', repo, '--json', s[0]!.slice(0, 10), s[2]!]), 'forget ids');
    const [group] = JSON.parse(r.out) as JsonGroup[];
    assert.deepEqual((group!.remove ?? []).map((x) => x.id).sort(), [s[0]!, s[2]!].sort());
    assert.deepEqual(await resticSnapshotIds(repo), [s[1]!, s[3]!, s[4]!].sort());
  });

  test('"latest" takes the filters into account', async () => {
    const repo = copyOfBase();
    ok(await holdfast(['repo', 'forget', '-r', repo, 'latest', '--path', src2]), 'forget latest');
    assert.deepEqual(snapshotFiles(repo), [s[0]!, s[1]!, s[3]!, s[4]!].sort());
  });

  test('an id matching no snapshot fails and removes nothing', async () => {
    const repo = copyOfBase();
    const unknown = s.some((id) => id.startsWith('ffffffff')) ? 'eeeeeeee' : 'ffffffff';
    const r = await holdfast(['repo', 'forget', '-r', repo, s[0]!, unknown]);
    assert.equal(r.code, 1, explain(r));
    assert.match(r.err, /no snapshot with id/);
    assert.equal(snapshotFiles(repo).length, 5);
  });
});

describe('forget and the repository lock', () => {
  test('refuses with REPOSITORY_LOCKED (exit 11) while another process holds a shared lock', async () => {
    const repo = copyOfBase();
    const env = { clock: systemClock, random: cryptoRandom, hostname: hostname(), username: 'forget-test', pid: process.pid, isProcessAlive: () => true };
    const opened = createRepository(await openRepository(localBackend(repo), PASSWORD), env);
    const lock = await acquireLock(opened, { exclusive: false, recheckDelayMs: 10 });
    try {
      const r = await holdfast(['repo', 'forget', '-r', repo, '--keep-last', '1']);
      assert.equal(r.code, 11, explain(r));
      assert.match(r.err, /locked/);
      assert.equal(snapshotFiles(repo).length, 5);
    } finally {
      await lock.release();
    }
    ok(await holdfast(['repo', 'forget', '-r', repo, '--keep-last', '1']), 'forget after release');
    assert.equal(snapshotFiles(repo).length, 2);
  });
});

describe('forget --prune', () => {
  test('removes the snapshots, then the data only they used', { skip: noRestic }, async () => {
    const repo = copyOfBase();
    const before = await treeBytes(repo);
    const r = ok(await holdfast(['repo', 'forget', '-r', repo, '--keep-last', '1', '--prune', '--json']), 'forget --prune');
    const [groups, report] = r.out.trim().split('\n').map((l) => JSON.parse(l) as unknown) as [JsonGroup[], Record<string, number>];
    assert.equal(decisions(groups).remove.length, 3);
    assert.ok(report['packsDeleted']! + report['packsRepacked']! > 0, r.out);
    assert.ok((await treeBytes(repo)) < before - 200_000, 'the data of three snapshots is gone');
    ok(await restic(['-r', repo, 'check', '--read-data']), 'restic check --read-data');
  });

  test('with --dry-run, plans the prune as if the snapshots were gone, and changes nothing', async () => {
    const repo = copyOfBase();
    const listing = readdirSync(repo, { recursive: true }).sort();
    const r = ok(await holdfast(['repo', 'forget', '-r', repo, '--keep-last', '1', '--prune', '--dry-run', '--json']), 'forget --prune --dry-run');
    const report = JSON.parse(r.out.trim().split('\n')[1]!) as Record<string, unknown>;
    assert.equal(report['dryRun'], true);
    assert.equal(report['snapshots'], 2, 'the three snapshots to forget are ignored');
    assert.ok(Number(report['bytesFreed']) > 200_000, r.out);
    assert.deepEqual(readdirSync(repo, { recursive: true }).sort(), listing);
  });
});

describe('helpers', () => {
  const snap = { time: 0n, tree: '0'.repeat(64), paths: ['/a', '/b'], hostname: 'h1', tags: ['t1', 't2'] };
  test('filters like restic: any host, any tag list (all of its tags), all paths', () => {
    assert.equal(matchesForgetFilter(snap, {}), true);
    assert.equal(matchesForgetFilter(snap, { hostname: ['h2', 'h1'] }), true);
    assert.equal(matchesForgetFilter(snap, { hostname: 'h2' }), false);
    assert.equal(matchesForgetFilter(snap, { tags: [['t1', 'x'], ['t2']] }), true);
    assert.equal(matchesForgetFilter(snap, { tags: [['t1', 'x']] }), false);
    assert.equal(matchesForgetFilter(snap, { paths: ['/a'] }), true);
    assert.equal(matchesForgetFilter(snap, { paths: ['/a', '/c'] }), false);
  });

  test('parses --group-by and describes policies as restic does', () => {
    assert.deepEqual(parseGroupBy('host,paths'), { host: true, paths: true, tags: false });
    assert.deepEqual(parseGroupBy(''), { host: false, paths: false, tags: false });
    assert.throws(() => parseGroupBy('hosts'), /unknown grouping option/);
    assert.equal(describePolicy({ last: 2, daily: -1 }), 'keep 2 latest, all daily snapshots');
    assert.equal(describePolicy({ tags: [['a', 'b']], within: { years: 1, months: 0, days: 2, hours: 0 } }), 'all snapshots with tags [a, b] and all snapshots within 1y2d of the newest');
    assert.equal(describePolicy({}), 'remove');
  });
});
