/**
 * `npm run bench`: Holdfast and restic side by side on the shared bench data
 * (../shared/bench), alternating which goes first in each round: full backup,
 * re-scan after touching every file, restore. Prints the median wall time and
 * peak memory of each and the Holdfast/restic ratios.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(fileURLToPath(import.meta.url), '../../../bench');
const shared = join(here, '../../shared/bench');
const work = process.env['HOLDFAST_BENCH_DIR'] ?? '/tmp/holdfast-bench';
const rounds = Number(process.env['HOLDFAST_BENCH_ROUNDS'] ?? '3');
const data = join(work, 'data');

interface Sample { wall: number; rssMiB: number }
type Tool = 'holdfast' | 'restic';
const steps = ['full', 'rescan', 'restore'] as const;

function measure(script: string, args: string[]): Sample {
  const out = join(work, 'time.out');
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', '-o', out, 'bash', script, ...args], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${script} failed with ${r.status}`);
  const [wall, kib] = readFileSync(out, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
  return { wall: wall!, rssMiB: kib! / 1024 };
}

function run(tool: Tool, step: (typeof steps)[number]): Sample {
  const dir = tool === 'restic' ? shared : here;
  const repo = join(work, `repo-${tool}`);
  const args = step === 'restore' ? [repo, join(work, `restore-${tool}`)] : [data, repo];
  return measure(join(dir, `${tool}-${step}.sh`), args);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function main(): void {
  mkdirSync(work, { recursive: true });
  if (!existsSync(data)) execFileSync('bash', [join(shared, 'make-dataset.sh'), data], { stdio: 'inherit' });
  const samples: Record<string, Sample[]> = {};
  for (let round = 0; round < rounds; round++) {
    const order: Tool[] = round % 2 === 0 ? ['restic', 'holdfast'] : ['holdfast', 'restic'];
    for (const step of steps) {
      for (const tool of order) {
        const s = run(tool, step);
        (samples[`${tool}-${step}`] ??= []).push(s);
        console.log(`round ${round + 1} ${step.padEnd(8)} ${tool.padEnd(8)} ${s.wall.toFixed(2)} s  ${s.rssMiB.toFixed(0)} MiB`);
      }
    }
  }
  const size = (tool: Tool): string => execFileSync('du', ['-sm', join(work, `repo-${tool}`)], { encoding: 'utf8' }).split('\t')[0]!;
  console.log(`\nmedians of ${rounds} rounds (data: ${execFileSync('du', ['-sh', data], { encoding: 'utf8' }).split('\t')[0]})`);
  console.log('step      restic s  holdfast s  wall ratio  restic MiB  holdfast MiB  memory ratio');
  for (const step of steps) {
    const r = samples[`restic-${step}`]!;
    const h = samples[`holdfast-${step}`]!;
    const [rw, hw] = [median(r.map((s) => s.wall)), median(h.map((s) => s.wall))];
    const [rm, hm] = [median(r.map((s) => s.rssMiB)), median(h.map((s) => s.rssMiB))];
    console.log(`${step.padEnd(9)} ${rw.toFixed(2).padStart(8)}  ${hw.toFixed(2).padStart(10)}  ${(hw / rw).toFixed(2).padStart(10)}  ${rm.toFixed(0).padStart(10)}  ${hm.toFixed(0).padStart(12)}  ${(hm / rm).toFixed(2).padStart(12)}`);
  }
  console.log(`repository size: restic ${size('restic')} MB, holdfast ${size('holdfast')} MB`);
  for (const t of ['restic', 'holdfast'] as const) rmSync(join(work, `restore-${t}`), { recursive: true, force: true });
}

main();
