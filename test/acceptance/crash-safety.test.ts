/**
 * Acceptance: a backup killed with SIGKILL at any moment leaves a repository
 * that restic 0.14 and Holdfast accept, the next backup reuses what the
 * killed ones had stored and indexed, and a killed backup's lock does not
 * stop later commands, since its process is provably dead on this host.
 *
 * The kill moments are spread over the backup's work, not wall-clock time:
 * each run is killed once it has read a random fraction of the source
 * (/proc/PID/io rchar), because runs that find earlier data already indexed
 * finish sooner, and a fixed delay would land after they ended.
 */
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { writePatternFile } from './fixture-tree.js';
import { NO_RESTIC,
  explain, holdfast, ok, restic, scratchDir, sha256File, spawnHoldfast, summaryOf, treeBytes,
  type RunResult, type Scratch,
} from './helpers.js';

const MiB = 1 << 20;
const FILES: readonly [string, number][] = [['a.bin', 96 * MiB], ['b.bin', 96 * MiB], ['c.bin', 64 * MiB], ['d.bin', 44 * MiB]];
const TOTAL = FILES.reduce((n, [, size]) => n + size, 0);
const KILLS = 10;

interface KillOutcome {
  readonly fraction: number;
  readonly killed: boolean;
  readonly ms: number;
  readonly result: { code: number | null; signal: NodeJS.Signals | null; stderr: string };
}

/** Bytes the process has read so far (all threads), or undefined once it is gone. */
async function bytesRead(pid: number): Promise<number | undefined> {
  try {
    const io = await readFile(`/proc/${pid}/io`, 'utf8');
    return Number(/^rchar: (\d+)$/m.exec(io)?.[1] ?? 0);
  } catch {
    return undefined;
  }
}

/** Kills child with SIGKILL once it has read `threshold` bytes; reports whether it was still running. */
async function killAfterReading(child: ChildProcess, threshold: number, fraction: number): Promise<KillOutcome> {
  const started = Date.now();
  const stderr: Buffer[] = [];
  child.stderr?.on('data', (b: Buffer) => stderr.push(b));
  child.stdout?.resume();
  let exited = false;
  const exit = new Promise<[number | null, NodeJS.Signals | null]>((res) => child.once('exit', (c, s) => { exited = true; res([c, s]); }));
  let killed = false;
  while (!exited) {
    const read = await bytesRead(child.pid!);
    if (!exited && read !== undefined && read >= threshold) {
      killed = child.kill('SIGKILL');
      break;
    }
    await sleep(10);
  }
  const [code, signal] = await exit;
  return { fraction, killed: killed && signal === 'SIGKILL', ms: Date.now() - started, result: { code, signal, stderr: Buffer.concat(stderr).toString() } };
}

/** Stratified random fractions in [0, 1), one per kill, in random order. */
function killFractions(n: number): number[] {
  const f = Array.from({ length: n }, (_, k) => (k + Math.random()) / n);
  for (let i = f.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [f[i], f[j]] = [f[j]!, f[i]!];
  }
  return f;
}

describe('a backup killed with SIGKILL leaves a sound repository', { skip: NO_RESTIC }, () => {
  let scratch: Scratch;
  let src: string;
  let repo: string;
  let fresh: { ms: number; dataAdded: number; diskGrowth: number };
  const outcomes: KillOutcome[] = [];
  const holdfastChecks: RunResult[] = [];

  const resticCheck = async (...flags: string[]): Promise<RunResult> => {
    // restic 0.14 refuses to check while any lock exists, stale or not, hence --no-lock.
    const r = await restic(['-r', repo, 'check', '--no-lock', ...flags]);
    assert.equal(r.code, 0, explain(r));
    assert.match(r.out, /no errors were found/, explain(r));
    return r;
  };
  const lockFiles = async (): Promise<string[]> => readdir(join(repo, 'locks'));

  before(async () => {
    scratch = await scratchDir('crash');
    src = scratch.join('src');
    await mkdir(src);
    for (const [name, size] of FILES) await writePatternFile(join(src, name), size, `crash/${name}`);
    fresh = await measureFullBackup(scratch, src);
    repo = scratch.join('repo');
    ok(await holdfast(['repo', 'init', '-r', repo]), 'holdfast repo init');
  });

  after(async () => {
    await scratch?.dispose();
  });

  it(`passes restic check after each of ${KILLS} kills at random points of the backup`, async (t) => {
    t.diagnostic(`a full backup of ${TOTAL / MiB} MiB took ${fresh.ms} ms and added ${fresh.dataAdded} bytes`);
    for (const fraction of killFractions(KILLS)) {
      // --force: should a run finish before its kill, the next ones still read everything instead of trusting its snapshot.
      const child = spawnHoldfast(['repo', 'backup', '-r', repo, '--quiet', '--force', src]);
      const outcome = await killAfterReading(child, fraction * TOTAL, fraction);
      outcomes.push(outcome);
      t.diagnostic(`kill at ${(fraction * 100).toFixed(1)}% read, after ${outcome.ms} ms: ${outcome.killed ? 'killed' : `had already exited ${outcome.result.code}`}`);
      assert.ok(outcome.killed || outcome.result.code === 0, `the backup failed on its own: ${JSON.stringify(outcome.result)}`);
      await resticCheck();
      holdfastChecks.push(await holdfast(['repo', 'check', '-r', repo]));
    }
    const killed = outcomes.filter((o) => o.killed).length;
    assert.ok(killed >= KILLS - 2, `only ${killed} of ${KILLS} backups were still running when killed`);
  });

  it('passes `holdfast repo check` after each kill', () => {
    assert.equal(holdfastChecks.length, KILLS, 'the kills above did not run');
    for (const [i, r] of holdfastChecks.entries()) assert.equal(r.code, 0, `after kill ${i + 1}: ${explain(r)}`);
  });

  it('runs a normal backup afterwards that reuses the data the killed runs had indexed', async (t) => {
    assert.equal(outcomes.length, KILLS, 'the kills above did not run');
    assert.ok((await lockFiles()).length > 0, 'the killed backups left no lock behind, so the stale-lock case was not exercised');
    const indexed = await indexedDataBytes(repo);
    assert.ok(indexed > 0, 'no killed backup got as far as writing an index, so there was nothing to reuse');
    const before = await treeBytes(repo);
    const r = ok(await holdfast(['repo', 'backup', '-r', repo, '--json', src]), 'the backup after the kills');
    const dataAdded = Number(summaryOf(r)['data_added']);
    const growth = (await treeBytes(repo)) - before;
    t.diagnostic(`indexed before: ${indexed} bytes; data_added ${dataAdded}; repository grew ${growth} bytes; a fresh backup adds ${fresh.dataAdded} and grows ${fresh.diskGrowth}`);
    assert.ok(dataAdded < TOTAL, `data_added ${dataAdded} is not below the ${TOTAL} bytes of source`);
    assert.ok(dataAdded <= fresh.dataAdded - indexed + MiB, `data_added ${dataAdded}: the ${indexed} indexed bytes were not all reused (fresh backup: ${fresh.dataAdded})`);
    assert.ok(growth < fresh.diskGrowth, `the repository grew ${growth} bytes, no less than a fresh backup's ${fresh.diskGrowth}`);
  });

  it('then passes restic check --read-data and restores the source bytes', async () => {
    await resticCheck('--read-data');
    const target = scratch.join('restore');
    ok(await holdfast(['repo', 'restore', '-r', repo, 'latest', '--target', target]), 'holdfast repo restore');
    for (const [name] of FILES) assert.equal(await sha256File(join(target, src, name)), await sha256File(join(src, name)), `${name} differs`);
    await rm(target, { recursive: true, force: true });
  });

  it('then passes `holdfast repo check --read-data`', async () => {
    const r = await holdfast(['repo', 'check', '-r', repo, '--read-data']);
    assert.equal(r.code, 0, explain(r));
  });

  it('lets an exclusive command through the lock of a killed backup, and removes that lock', async () => {
    const outcome = await killAfterReading(spawnHoldfast(['repo', 'backup', '-r', repo, '--quiet', '--force', src]), TOTAL / 3, 1 / 3);
    assert.ok(outcome.killed, `the backup was not running at the kill: ${JSON.stringify(outcome.result)}`);
    assert.ok((await lockFiles()).length > 0, 'the killed backup left no lock');
    const newPassword = scratch.join('new-password');
    await writeFile(newPassword, 'a second password\n');
    const r = await holdfast(['repo', 'key', 'add', '-r', repo, '--new-password-file', newPassword]);
    assert.equal(r.code, 0, `key add (an exclusive lock) was refused: ${explain(r)}`);
    assert.deepEqual(await lockFiles(), [], 'locks of dead processes remain');
    const check = await restic(['-r', repo, 'check']);
    assert.equal(check.code, 0, `restic check (which refuses any lock) failed: ${explain(check)}`);
  });
});

/** Backs src up into a fresh repository: how long it takes, what it reports as added, how much the folder grows. */
async function measureFullBackup(scratch: Scratch, src: string): Promise<{ ms: number; dataAdded: number; diskGrowth: number }> {
  const repo = scratch.join('fresh');
  ok(await holdfast(['repo', 'init', '-r', repo]), 'holdfast repo init');
  const empty = await treeBytes(repo);
  const started = Date.now();
  const r = ok(await holdfast(['repo', 'backup', '-r', repo, '--json', src]), 'the reference backup');
  const ms = Date.now() - started;
  const result = { ms, dataAdded: Number(summaryOf(r)['data_added']), diskGrowth: (await treeBytes(repo)) - empty };
  await rm(repo, { recursive: true, force: true });
  return result;
}

/** Stored bytes of the distinct data blobs the repository's index files list (read with restic). */
async function indexedDataBytes(repo: string): Promise<number> {
  const ids = ok(await restic(['-r', repo, 'list', 'index', '--no-lock']), 'restic list index').out.split('\n').filter(Boolean);
  const sizes = new Map<string, number>();
  for (const id of ids) {
    const index = JSON.parse(ok(await restic(['-r', repo, 'cat', 'index', id, '--no-lock']), 'restic cat index').out) as { packs: { blobs: { id: string; type: string; length: number }[] }[] };
    for (const blob of index.packs.flatMap((p) => p.blobs)) if (blob.type === 'data') sizes.set(blob.id, blob.length);
  }
  return [...sizes.values()].reduce((a, b) => a + b, 0);
}
