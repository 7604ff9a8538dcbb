/** Test helpers for config files: a temp directory, private token files, and the YAML of a config. */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryptoRandom } from '../../src/common/clock.js';
import { issueToken, type IssuedToken } from '../../src/app/secrets.js';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `holdfast-${prefix}-`));
}

/** A new token, written to `dir/name` with mode 0600. */
export function tokenFile(dir: string, name: string, mode = 0o600): IssuedToken & { file: string } {
  const issued = issueToken(cryptoRandom);
  const file = join(dir, name);
  writeFileSync(file, `${issued.token}\n`);
  chmodSync(file, mode);
  return { ...issued, file };
}

export function writeConfig(dir: string, yaml: string, name = 'holdfast.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

/** GET with a bearer token; answers the status and parsed body. */
export async function get(url: string, token: string): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
}
