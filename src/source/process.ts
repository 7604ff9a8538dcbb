/**
 * Child processes for source drivers: a dump tool is spawned with secrets in its
 * environment only (never argv), its stdout is the backup stream, a bounded tail
 * of its stderr explains a failure, and any secret is scrubbed from that tail
 * before it reaches a message. An abort signal kills the child.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough, type Writable } from 'node:stream';
import { fail } from '../common/errors.js';

/** How much of a tool's stderr is kept for the error message. */
const STDERR_TAIL_BYTES = 4096;

/** PATH used when the caller injects no environment (src/ may not read process.env). */
export const DEFAULT_TOOL_ENV: Readonly<Record<string, string>> = Object.freeze({ PATH: '/usr/local/bin:/usr/bin:/bin' });

export interface ChildOptions {
  readonly command: string;
  readonly args: readonly string[];
  /** The base environment (DriverContext.env); `env` entries are added to it. */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
  readonly env?: Readonly<Record<string, string>>;
  /** Strings that must never appear in a message (passwords, tokens). */
  readonly secrets?: readonly (string | undefined)[];
  readonly signal?: AbortSignal;
  /** 'pipe' to feed the child (restores); default 'ignore'. */
  readonly stdin?: 'pipe' | 'ignore';
  /** What the child does, for messages ("pg_dump of db"). */
  readonly what: string;
}

export interface RunningChild {
  /** The child's stdout; iterate it exactly once. */
  readonly stdout: AsyncIterable<Uint8Array>;
  /** The child's stdin when started with stdin: 'pipe'. */
  readonly stdin: Writable | null;
  /** Settles when the child exited: resolves on code 0, rejects with SOURCE_UNREADABLE otherwise. */
  readonly done: Promise<void>;
  /** The scrubbed tail of stderr so far. */
  stderrTail(): string;
  /** Kills the child (SIGTERM); safe to call after exit. */
  kill(): void;
}

/** Replaces every secret (and its URL-encoded form) in `text` with "***". */
export function scrub(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const s of secrets) {
    if (s === undefined || s.length === 0) continue;
    for (const form of new Set([s, encodeURIComponent(s)])) out = out.split(form).join('***');
  }
  return out;
}

export function startChild(opts: ChildOptions): RunningChild {
  const child = spawn(opts.command, [...opts.args], {
    env: { ...(opts.baseEnv ?? DEFAULT_TOOL_ENV), ...opts.env },
    stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  const tail = collectTail(child);
  const stderrTail = (): string => scrub(tail(), opts.secrets).trim();
  // Node discards a child's stdout not yet read when the child exits (child_process flushStdio): a fast dump
  // that ends before the engine starts reading would be stored empty. A pipe attached now keeps it, with backpressure.
  const stdout = child.stdout!.pipe(new PassThrough());
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    // No one reads any more: let the rest flow away (through the pipe, or past it once a reader destroyed it),
    // so the child's stdio closes and `done` settles.
    stdout.resume();
    child.stdout?.resume();
  };
  const onAbort = (): void => kill();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) kill();
  const done = waitForExit(child, opts, stderrTail).finally(() => opts.signal?.removeEventListener('abort', onAbort));
  done.catch(() => {}); // observed by the caller through finish(); never an unhandled rejection
  return { stdout, stdin: child.stdin, done, stderrTail, kill };
}

function collectTail(child: ChildProcess): () => string {
  let kept = Buffer.alloc(0);
  child.stderr?.on('data', (chunk: Buffer) => {
    kept = Buffer.concat([kept, chunk]);
    if (kept.length > STDERR_TAIL_BYTES) kept = kept.subarray(kept.length - STDERR_TAIL_BYTES);
  });
  return () => kept.toString('utf8');
}

async function waitForExit(child: ChildProcess, opts: ChildOptions, stderrTail: () => string): Promise<void> {
  const [code, signal] = await exitOf(child, opts);
  if (code === 0) return;
  const how = code === null ? `was killed by ${String(signal)}` : `exited with code ${code}`;
  const detail = stderrTail();
  throw fail('SOURCE_UNREADABLE', `${opts.what}: ${opts.command} ${how}${detail ? `: ${detail}` : ''}`, {
    data: { command: opts.command, exitCode: code, aborted: opts.signal?.aborted === true },
  });
}

function exitOf(child: ChildProcess, opts: ChildOptions): Promise<[number | null, NodeJS.Signals | null]> {
  return new Promise((resolve, reject) => {
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => resolve([code, signal]));
    child.once('error', (err: Error) => {
      reject(fail('SOURCE_UNREADABLE', `${opts.what}: cannot run ${opts.command}: ${scrub(err.message, opts.secrets)}`));
    });
  });
}

/**
 * Writes `source` into the child's stdin with backpressure, then closes it. A write that fails
 * (EPIPE: the child exited early) only stops the feeding, as the exit status tells why;
 * an error of `source` itself propagates.
 */
export async function feedStdin(child: RunningChild, source: AsyncIterable<Uint8Array>): Promise<void> {
  const stdin = child.stdin;
  if (stdin === null) throw fail('INTERNAL', 'feedStdin: the child was started without a stdin pipe');
  let broken = false;
  stdin.on('error', () => { broken = true; });
  const writable = (): Promise<void> => new Promise((resolve) => {
    const done = (): void => {
      stdin.off('drain', done).off('close', done);
      resolve();
    };
    stdin.on('drain', done).on('close', done);
  });
  for await (const chunk of source) {
    if (broken || stdin.destroyed) break;
    if (!stdin.write(chunk)) await writable();
  }
  stdin.end();
}

/** Runs a child that reads `input` on stdin (a restore) and waits for it; stdout is discarded. */
export async function runWithInput(opts: ChildOptions, input: AsyncIterable<Uint8Array>): Promise<void> {
  const child = startChild({ ...opts, stdin: 'pipe' });
  const drained = drain(child.stdout);
  try {
    await feedStdin(child, input);
  } catch (err) {
    child.kill();
    await child.done.catch(() => {});
    throw err;
  }
  await drained;
  await child.done;
}

/** Runs a command to completion (hooks, small helpers); rejects with SOURCE_UNREADABLE on failure. */
export async function run(opts: ChildOptions): Promise<string> {
  const child = startChild(opts);
  const out = await collectText(child.stdout);
  await child.done;
  return out;
}

async function drain(stream: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const _ of stream) void _;
}

async function collectText(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString('utf8');
}
