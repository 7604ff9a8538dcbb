/**
 * Test helpers for source drivers: running client tools, checking that a
 * service is reachable (or failing when HOLDFAST_REQUIRE_SERVICES=1), unique
 * names, and free ports.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, Socket } from 'node:net';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Runs a command and returns its stdout; throws with stderr on failure. */
export async function sh(command: string, args: readonly string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await exec(command, [...args], { env: { ...process.env, ...env }, maxBuffer: 256 << 20 });
  return stdout;
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

function reachable(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.setTimeout(1000);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
    s.once('timeout', () => { s.destroy(); resolve(false); });
    s.connect(port, host);
  });
}

/** Undefined when the service answers; a skip message otherwise (or a failure when services are required). */
export async function serviceSkip(name: string, port: number): Promise<string | undefined> {
  if (await reachable(port)) return undefined;
  const message = `${name} is not reachable on 127.0.0.1:${port}`;
  if (process.env['HOLDFAST_REQUIRE_SERVICES'] === '1') throw new Error(`${message} and HOLDFAST_REQUIRE_SERVICES=1`);
  return `${message}; skipping (set HOLDFAST_REQUIRE_SERVICES=1 to fail instead)`;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}
