/**
 * The BackupSession of drivers whose tool writes the copy to stdout: finish()
 * is the tool's exit status, abort() kills it. Both are idempotent.
 */
import type { BackupSession } from './driver.js';
import type { RunningChild } from './process.js';

export function streamSession(
  child: RunningChild,
  filename: string,
  stream: AsyncIterable<Uint8Array> = child.stdout,
): BackupSession {
  return {
    input: { kind: 'stream', filename, stream },
    finish: () => child.done,
    abort: async () => {
      child.kill();
      await child.done.catch(() => {});
    },
  };
}
