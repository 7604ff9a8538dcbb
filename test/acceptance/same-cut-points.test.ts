/**
 * Acceptance: Holdfast's chunker cuts where restic's does, with the
 * repository's polynomial, so the two deduplicate against each other. After
 * Holdfast stored a 40 MiB file, `restic backup --force` of it stores no data
 * blob; a second file that shares a long middle region with the first but
 * starts differently costs exactly as many new blobs as when restic alone
 * stored both (in a twin repository with the same polynomial), whichever
 * program stored the first file and whichever made the repository.
 */
import assert from 'node:assert/strict';
import { mkdir, open, readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { writePatternFile } from './fixture-tree.js';
import { NO_RESTIC, PASSWORD, holdfast, ok, restic, scratchDir, summaryOf, type RunResult, type Scratch } from './helpers.js';

const MiB = 1 << 20;

describe('Holdfast and restic cut the same chunks', { skip: NO_RESTIC }, () => {
  let scratch: Scratch;
  let first: string;
  let second: string;

  const dataBlobs = (r: RunResult): number => Number(summaryOf(r)['data_blobs']);
  const resticBackup = async (repo: string, path: string, ...flags: string[]): Promise<RunResult> =>
    ok(await restic(['-r', repo, 'backup', '--json', ...flags, path]), `restic backup ${path}`);
  const holdfastBackup = async (repo: string, path: string, ...flags: string[]): Promise<RunResult> =>
    ok(await holdfast(['repo', 'backup', '-r', repo, '--json', ...flags, path]), `holdfast backup ${path}`);
  /** A restic repository sharing repo's chunker polynomial (restic init --copy-chunker-params). */
  const twinOf = async (repo: string, name: string): Promise<string> => {
    const twin = scratch.join(name);
    ok(await restic(['init', '-r', twin, '--from-repo', repo, '--copy-chunker-params'], { env: { RESTIC_FROM_PASSWORD: PASSWORD } }), 'restic init --copy-chunker-params');
    return twin;
  };

  before(async () => {
    scratch = await scratchDir('cut-points');
    await mkdir(scratch.join('one'));
    await mkdir(scratch.join('two'));
    first = scratch.join('one', 'first.bin');
    second = scratch.join('two', 'second.bin');
    await writePatternFile(first, 40 * MiB, 'cut-points/first');
    await writeSecond(scratch, first, second);
  });

  after(async () => {
    await scratch?.dispose();
  });

  it('restic stores no data blob for a file Holdfast stored', async () => {
    const repo = scratch.join('holdfast-first');
    ok(await holdfast(['repo', 'init', '-r', repo]), 'holdfast repo init');
    const mine = await holdfastBackup(repo, first);
    assert.ok(dataBlobs(mine) >= 20, `Holdfast stored only ${dataBlobs(mine)} blobs for 40 MiB`);
    const theirs = await resticBackup(repo, first, '--force');
    assert.equal(summaryOf(theirs)['total_bytes_processed'], 40 * MiB, 'restic did not re-read the file');
    assert.equal(dataBlobs(theirs), 0, `restic found chunks Holdfast had not stored: ${JSON.stringify(summaryOf(theirs))}`);

    const secondAlone = dataBlobs(await resticBackup(await twinOf(repo, 'reference-alone'), second));
    const reference = await twinOf(repo, 'reference-both');
    await resticBackup(reference, first);
    const secondAfterFirst = dataBlobs(await resticBackup(reference, second));
    assert.ok(secondAfterFirst > 0 && secondAfterFirst * 2 < secondAlone, `the files share too little: ${secondAfterFirst} of ${secondAlone} blobs new`);

    const more = await resticBackup(repo, second);
    assert.equal(dataBlobs(more), secondAfterFirst, 'restic reused a different number of Holdfast\'s chunks than of its own');
  });

  it('Holdfast stores no data blob for a file restic stored, and shares the middle of the second file', async () => {
    const repo = scratch.join('restic-first');
    ok(await restic(['init', '-r', repo]), 'restic init');
    await resticBackup(repo, first);
    const again = await holdfastBackup(repo, first, '--force');
    assert.equal(summaryOf(again)['total_bytes_processed'], 40 * MiB, 'Holdfast did not re-read the file');
    assert.equal(dataBlobs(again), 0, `Holdfast found chunks restic had not stored: ${JSON.stringify(summaryOf(again))}`);
    const reference = await twinOf(repo, 'reference-restic-first');
    await resticBackup(reference, first);
    const expected = dataBlobs(await resticBackup(reference, second));
    const more = await holdfastBackup(repo, second);
    assert.equal(dataBlobs(more), expected, 'Holdfast reused a different number of restic\'s chunks than restic itself');
    const check = await restic(['-r', repo, 'check', '--read-data']);
    assert.equal(check.code, 0, check.err);
  });
});

/** second = a different 777,777-byte start, then bytes [3 MiB, 33 MiB) of first, then 1 MiB + 3 bytes of its own. */
async function writeSecond(scratch: Scratch, first: string, second: string): Promise<void> {
  const head = scratch.join('head.tmp');
  const tail = scratch.join('tail.tmp');
  await writePatternFile(head, 777_777, 'cut-points/head');
  await writePatternFile(tail, MiB + 3, 'cut-points/tail');
  const middle = (await readFile(first)).subarray(3 * MiB, 33 * MiB);
  const fh = await open(second, 'w');
  try {
    for (const part of [await readFile(head), middle, await readFile(tail)]) await fh.write(part);
  } finally {
    await fh.close();
  }
}
