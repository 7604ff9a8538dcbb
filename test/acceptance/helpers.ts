/**
 * Shared helpers of the acceptance suite: scratch folders under os.tmpdir()
 * that remove themselves, the real binaries (`bin/holdfast` and
 * `/usr/bin/restic` 0.14) run as child processes with a clean environment,
 * and a byte-exact capture and comparison of file trees. Paths are handled
 * as Buffers throughout, so names that are not UTF-8 survive.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { lstat, mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout root, found from dist/test/acceptance/helpers.js. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const HOLDFAST_BIN = join(PROJECT_ROOT, 'bin', 'holdfast');
export const RESTIC_BIN = '/usr/bin/restic';
/** Without restic these tests skip with this message, except in CI (HOLDFAST_REQUIRE_SERVICES=1), where they fail. */
export const NO_RESTIC: string | false = existsSync(RESTIC_BIN) || process.env['HOLDFAST_REQUIRE_SERVICES'] === '1'
  ? false
  : 'restic is not installed (apt-get install restic); the interop tests need it';
export const PASSWORD = 'acceptance-password';

// ---------------------------------------------------------------- scratch

export interface Scratch {
  readonly path: string;
  /** A path inside the scratch folder. */
  join(...parts: string[]): string;
  dispose(): Promise<void>;
}

/** A fresh folder under os.tmpdir(); dispose() removes it and everything in it. */
export async function scratchDir(label: string): Promise<Scratch> {
  const path = await mkdtemp(join(tmpdir(), `holdfast-acceptance-${label}-`));
  return {
    path,
    join: (...parts) => join(path, ...parts),
    dispose: () => rm(path, { recursive: true, force: true, maxRetries: 3 }),
  };
}

// ---------------------------------------------------------------- processes

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  /** stdout decoded as UTF-8 (lossy), for messages and JSON. */
  readonly out: string;
  readonly err: string;
}

export interface RunOptions {
  readonly password?: string;
  readonly env?: Record<string, string>;
  readonly input?: string | Buffer;
  readonly cwd?: string;
  readonly timeoutMs?: number;
  /** Run as this user and group (needs root): how tests see what an unprivileged user sees. */
  readonly uid?: number;
  readonly gid?: number;
}

/** The parent's environment without any HOLDFAST_ or RESTIC_ setting, so tests see only what they pass. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('HOLDFAST_') && !k.startsWith('RESTIC_')) env[k] = v;
  }
  return { ...env, ...extra };
}

export function run(cmd: string, args: readonly string[], opts: RunOptions & { env: Record<string, string> }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const ids = opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.gid ?? opts.uid };
    const child = spawn(cmd, args, { env: cleanEnv(opts.env), cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'], ...ids });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      const stderr = Buffer.concat(err);
      resolve({ code, signal, stdout, stderr, out: stdout.toString('utf8'), err: stderr.toString('utf8') });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

function holdfastEnv(opts: RunOptions): Record<string, string> {
  return { HOLDFAST_PASSWORD: opts.password ?? PASSWORD, ...opts.env };
}

/** Runs `bin/holdfast ARGS` (the launcher execs node, so the child is the CLI process itself). */
export function holdfast(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(HOLDFAST_BIN, args, { ...opts, env: holdfastEnv(opts) });
}

/** Starts `bin/holdfast ARGS` without waiting; the child's pid is the process that holds the repository lock. */
export function spawnHoldfast(args: readonly string[], opts: RunOptions = {}): ChildProcess {
  return spawn(HOLDFAST_BIN, args, { env: cleanEnv(holdfastEnv(opts)), cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs `restic --no-cache ARGS` (restic 0.14), so no cache outside the scratch folders is written. */
export function restic(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(RESTIC_BIN, ['--no-cache', ...args], { ...opts, env: { RESTIC_PASSWORD: opts.password ?? PASSWORD, ...opts.env } });
}

/** A compact description of a finished process, for assertion messages. */
export function explain(r: RunResult): string {
  const tail = (s: string): string => (s.length > 2000 ? `…${s.slice(-2000)}` : s);
  return `exit ${r.code}${r.signal === null ? '' : ` (signal ${r.signal})`}\n--- stdout\n${tail(r.out)}\n--- stderr\n${tail(r.err)}`;
}

/** Fails unless the process exited 0; returns it for chaining. */
export function ok(r: RunResult, what: string): RunResult {
  assert.equal(r.code, 0, `${what} failed: ${explain(r)}`);
  return r;
}

/** The JSON values of a newline-delimited JSON output (empty lines skipped). */
export function jsonLines(text: string): unknown[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);
}

/** The last line whose message_type is "summary" (restic and holdfast backup --json). */
export function summaryOf(r: RunResult): Record<string, unknown> {
  const lines = jsonLines(r.out) as Record<string, unknown>[];
  const summary = lines.filter((l) => l !== null && typeof l === 'object' && l['message_type'] === 'summary').at(-1);
  assert.ok(summary !== undefined, `no summary line in: ${explain(r)}`);
  return summary;
}


/** The total size of the regular files under dir (a repository's size on disk). */
export async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += (await lstat(join(e.parentPath, e.name))).size;
  }
  return total;
}

// ---------------------------------------------------------------- trees

export interface Entry {
  readonly kind: 'file' | 'dir' | 'symlink' | 'other';
  /** Permission bits including setuid/setgid/sticky. */
  readonly perm: number;
  readonly mtimeNs: bigint;
  readonly size: bigint;
  readonly ino: bigint;
  readonly nlink: bigint;
  readonly sha256?: string;
  /** Symlink target, raw bytes as hex. */
  readonly target?: string;
}

/** Relative path (raw bytes, read as latin1 so every byte maps to one char; '' is the root) → entry. */
export type Tree = Map<string, Entry>;

/** A readable form of a tree key: JSON escapes, and non-ASCII bytes as \xNN. */
export function showPath(key: string): string {
  return JSON.stringify(key).replace(/[\u0080-\u00ff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The path bytes of a tree key below root. */
export function keyPath(root: string, key: string): Buffer {
  return key === '' ? Buffer.from(root) : Buffer.concat([Buffer.from(root), Buffer.from('/'), Buffer.from(key, 'latin1')]);
}

export async function sha256File(path: Buffer | string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Captures every entry under root (root included), with content hashes and symlink targets. */
export async function captureTree(root: string): Promise<Tree> {
  const tree: Tree = new Map();
  await captureInto(tree, Buffer.from(root), '');
  return tree;
}

async function captureInto(tree: Tree, path: Buffer, key: string): Promise<void> {
  const st = await lstat(path, { bigint: true });
  const base = { perm: Number(st.mode & 0o7777n), mtimeNs: st.mtimeNs, size: st.size, ino: st.ino, nlink: st.nlink };
  if (st.isFile()) tree.set(key, { ...base, kind: 'file', sha256: await sha256File(path) });
  else if (st.isSymbolicLink()) tree.set(key, { ...base, kind: 'symlink', target: (await readlink(path, { encoding: 'buffer' })).toString('hex') });
  else if (st.isDirectory()) {
    tree.set(key, { ...base, kind: 'dir' });
    for (const name of await readdir(path, { encoding: 'buffer' })) {
      const childKey = key === '' ? name.toString('latin1') : `${key}/${name.toString('latin1')}`;
      await captureInto(tree, Buffer.concat([path, Buffer.from('/'), name]), childKey);
    }
  } else tree.set(key, { ...base, kind: 'other' });
}

/** A tolerance that turns the mtime comparison off, for a test that checks everything else. */
export const ANY_MTIME = 1n << 62n;

/**
 * The tree as restic 0.14 can carry it: a symlink target is a JSON string
 * there, so one that is not UTF-8 comes back with U+FFFD (restic's own
 * backups do the same; 0.16+ adds linktarget_raw).
 */
export function asRestic014Stores(tree: Tree): Tree {
  const lossy = (hex: string): string => Buffer.from(Buffer.from(hex, 'hex').toString('utf8')).toString('hex');
  return new Map([...tree].map(([k, e]) => [k, e.target === undefined ? e : { ...e, target: lossy(e.target) }]));
}

export interface CompareOptions {
  /** Largest allowed |restored − original| mtime in ns: 0n for exact, 999n for "to the microsecond". */
  readonly mtimeToleranceNs: bigint;
  /** Check that names sharing an inode in the original share one in the copy, and only those. */
  readonly hardlinks: boolean;
}

/** Every difference between two trees, one readable line each; an empty list means equal. */
export function compareTrees(expected: Tree, actual: Tree, opts: CompareOptions): string[] {
  const diffs: string[] = [];
  for (const key of expected.keys()) if (!actual.has(key)) diffs.push(`missing: ${showPath(key)}`);
  for (const key of actual.keys()) if (!expected.has(key)) diffs.push(`unexpected: ${showPath(key)}`);
  for (const [key, want] of expected) {
    const got = actual.get(key);
    if (got !== undefined) diffs.push(...compareEntry(key, want, got, opts));
  }
  if (opts.hardlinks) diffs.push(...compareHardlinks(expected, actual));
  return diffs;
}

function compareEntry(key: string, want: Entry, got: Entry, opts: CompareOptions): string[] {
  const at = showPath(key);
  if (want.kind !== got.kind) return [`${at}: kind ${got.kind}, want ${want.kind}`];
  const diffs: string[] = [];
  if (want.kind !== 'symlink' && want.perm !== got.perm) diffs.push(`${at}: mode ${got.perm.toString(8)}, want ${want.perm.toString(8)}`);
  if (want.kind === 'file' && (want.size !== got.size || want.sha256 !== got.sha256)) diffs.push(`${at}: content differs (size ${got.size}, want ${want.size})`);
  if (want.kind === 'symlink' && want.target !== got.target) diffs.push(`${at}: link target ${got.target}, want ${want.target} (hex)`);
  const drift = got.mtimeNs - want.mtimeNs;
  if (drift > opts.mtimeToleranceNs || -drift > opts.mtimeToleranceNs) diffs.push(`${at}: mtime ${got.mtimeNs} ns, want ${want.mtimeNs} ns (off by ${drift} ns)`);
  return diffs;
}

function compareHardlinks(expected: Tree, actual: Tree): string[] {
  const diffs: string[] = [];
  const groupOf = new Map<string, bigint>();
  for (const [key, e] of expected) if (e.kind === 'file') groupOf.set(key, e.ino);
  const seen = new Map<bigint, { ino: bigint; key: string }>();
  for (const [key, e] of actual) {
    const group = groupOf.get(key);
    if (group === undefined || e.kind !== 'file') continue;
    const first = seen.get(group);
    if (first === undefined) seen.set(group, { ino: e.ino, key });
    else if (first.ino !== e.ino) diffs.push(`${showPath(key)}: not a hardlink of ${showPath(first.key)}`);
  }
  const owner = new Map<bigint, bigint>();
  for (const [key, e] of actual) {
    const group = groupOf.get(key);
    if (group === undefined || e.kind !== 'file') continue;
    const prev = owner.get(e.ino);
    if (prev !== undefined && prev !== group) diffs.push(`${showPath(key)}: shares an inode with an unrelated file`);
    owner.set(e.ino, group);
  }
  return diffs;
}

/** Names (as tree keys) that are hardlinked in the tree: at least two names per inode. */
export function hardlinkGroups(tree: Tree): string[][] {
  const byIno = new Map<bigint, string[]>();
  for (const [key, e] of tree) if (e.kind === 'file' && e.nlink > 1n) byIno.set(e.ino, [...(byIno.get(e.ino) ?? []), key]);
  return [...byIno.values()].filter((g) => g.length > 1);
}
