/** What a repository needs from its surroundings, injected once by the caller. */
import type { Clock, Random } from '../common/clock.js';

export interface RepositoryEnv {
  readonly clock: Clock;
  readonly random: Random;
  readonly hostname: string;
  readonly username: string;
  readonly pid: number;
  /** Whether a process with this pid runs on this host (for stale-lock detection). */
  readonly isProcessAlive: (pid: number) => boolean;
}
