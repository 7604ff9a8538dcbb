/** The process's identity for repository locks and snapshots, read once. */
import { hostname, userInfo } from 'node:os';
import { cryptoRandom, systemClock } from '../common/clock.js';
import type { RepositoryEnv } from '../repository/context.js';

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

export function repoEnvironment(): RepositoryEnv {
  return { clock: systemClock, random: cryptoRandom, hostname: hostname(), username: currentUser(), pid: process.pid, isProcessAlive };
}
