/**
 * Composition root of the command line: reads the environment once, builds
 * the repository environment (clock, randomness, identity) and runs the CLI.
 */
import { readFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { cryptoRandom, systemClock } from '../common/clock.js';
import { runCli } from '../cli/program.js';
import type { CliContext } from '../cli/context.js';

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

const env = process.env;
const ctx: CliContext = {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  settings: {
    ...(env['HOLDFAST_REPOSITORY'] === undefined ? {} : { repository: env['HOLDFAST_REPOSITORY'] }),
    ...(env['HOLDFAST_PASSWORD'] === undefined ? {} : { password: env['HOLDFAST_PASSWORD'] }),
    ...(env['HOLDFAST_PASSWORD_FILE'] === undefined ? {} : { passwordFile: env['HOLDFAST_PASSWORD_FILE'] }),
  },
  repoEnv: { clock: systemClock, random: cryptoRandom, hostname: hostname(), username: currentUser(), pid: process.pid, isProcessAlive },
  readFile: (path) => readFile(path, 'utf8'),
  status: { exitCode: 0 },
};

process.exitCode = await runCli(ctx, process.argv.slice(2));
