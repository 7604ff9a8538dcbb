/**
 * The CLI through the API, end to end: a real server on loopback and the
 * built `holdfast` run as a child process with HOLDFAST_SERVER/HOLDFAST_TOKEN.
 * A directory is backed up by resource name, restored into a new path and
 * compared byte for byte; --json answers parse; errors carry the API's code,
 * a clear message and the catalog's exit code. One in-process run checks the
 * progress bar on a (fake) terminal.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ERRORS } from '../../src/common/errors.js';
import { runCli } from '../../src/cli/program.js';
import type { CliContext } from '../../src/cli/context.js';
import { repoEnvironment } from '../../src/main/environment.js';
import { startServer, type RunningServer } from '../../src/main/serve.js';

const HOLDFAST = fileURLToPath(new URL('../../src/main/holdfast.js', import.meta.url));

interface Run { code: number; stdout: string; stderr: string }

/** Asynchronous on purpose: the server answering the CLI runs in this very process. */
function run(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  const base = { ...process.env };
  for (const k of ['HOLDFAST_SERVER', 'HOLDFAST_TOKEN', 'HOLDFAST_TOKEN_FILE']) delete base[k];
  return new Promise((resolve) => {
    execFile(process.execPath, [HOLDFAST, ...args], { env: { ...base, ...env }, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Every file under a directory, by relative path, with its bytes. */
function tree(dir: string, prefix = ''): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) for (const [k, v] of tree(p, `${prefix}${name}/`)) out.set(k, v);
    else out.set(`${prefix}${name}`, readFileSync(p));
  }
  return out;
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('CLI through the API', () => {
  let dir: string;
  let src: string;
  let server: RunningServer;
  let token = '';
  const name = `docs-${randomBytes(4).toString('hex')}`;
  let backupId = '';
  let backupJobId = '';
  let restoreJobId = '';
  const cli = (...args: string[]): Promise<Run> => run(args, { HOLDFAST_SERVER: server.url, HOLDFAST_TOKEN: token });
  const json = (r: Run): any => {
    assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  const routeExists = async (path: string): Promise<boolean> =>
    (await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } })).status !== 404;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'holdfast-cli-api-'));
    src = join(dir, 'src');
    mkdirSync(join(src, 'sub', 'deeper'), { recursive: true });
    writeFileSync(join(src, 'a.txt'), 'alpha\n');
    writeFileSync(join(src, 'empty'), '');
    writeFileSync(join(src, 'sub', 'random.bin'), randomBytes(700_000));
    writeFileSync(join(src, 'sub', 'deeper', 'zeros.bin'), Buffer.alloc(300_000));
    server = await startServer({ dataDir: join(dir, 'data'), host: '127.0.0.1', port: 0, logger: false, say: (line) => { token = /token[^:]*: (\S+)/.exec(line)?.[1] ?? token; } });
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates, lists, shows and updates a resource, in text and JSON', async () => {
    const created = json(await cli('resources', 'create', '--name', name, '--driver', 'volume', '--config', JSON.stringify({ path: src }), '--json'));
    assert.match(created.id, /^res_/);
    assert.equal(created.name, name);
    assert.deepEqual(created.config, { path: src });
    const listed = json(await cli('resources', 'list', '--json'));
    assert.ok(Array.isArray(listed));
    assert.deepEqual(listed.map((r: { id: string }) => r.id), [created.id]);
    const byName = json(await cli('resources', 'get', name, '--json'));
    assert.equal(byName.id, created.id);
    const text = await cli('resources', 'get', created.id);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`Name:\\s+${name}`));
    assert.match(text.stdout, /Driver:\s+volume/);
    const table = await cli('resources', 'list');
    assert.match(table.stdout, new RegExp(`${created.id}\\s+${name}\\s+volume`));
    const renamed = json(await cli('resources', 'update', name, '--name', `${name}-x`, '--json'));
    assert.equal(renamed.name, `${name}-x`);
    json(await cli('resources', 'update', created.id, '--name', name, '--json'));
  });

  it('backs up a resource by name and waits, quietly when not on a terminal', async () => {
    const r = await cli('backup', name, '--wait', '--type', 'full');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no progress bar off a terminal');
    assert.match(r.stdout, new RegExp(`^backup bak_\\w+ of ${name} AVAILABLE: .*snapshot [0-9a-f]{8}\\n$`));
  });

  it('answers the backup and its job as JSON', async () => {
    const b = json(await cli('backup', name, '--wait', '--json', '--name', 'second'));
    assert.match(b.id, /^bak_/);
    assert.equal(b.name, 'second');
    assert.equal(b.state, 'AVAILABLE');
    assert.equal(b.snapshotIds.length, 1);
    assert.ok(b.logicalBytes >= 1_000_000, String(b.logicalBytes));
    assert.equal(b.job.state, 'SUCCEEDED');
    assert.equal(b.job.id, b.jobId);
    backupId = b.id;
    backupJobId = b.job.id;
  });

  it('restores into a new path, byte for byte', async () => {
    const target = join(dir, 'restored');
    const r = await cli('restore', backupId, '--to', target, '--wait');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`restored ${backupId}`));
    assert.deepEqual(tree(target), tree(src));
  });

  it('restores to a JSON target and answers the job as JSON', async () => {
    const target = join(dir, 'restored-json');
    const job = json(await cli('restore', backupId, '--to', JSON.stringify({ path: target }), '--wait', '--json'));
    assert.equal(job.kind, 'restore');
    assert.equal(job.state, 'SUCCEEDED');
    assert.equal(job.backupId, backupId);
    assert.deepEqual(tree(target), tree(src));
    restoreJobId = job.id;
  });

  it('shows jobs and backups', async () => {
    const job = json(await cli('jobs', 'get', backupJobId, '--json'));
    assert.deepEqual([job.id, job.kind, job.state, job.backupId, job.progress.percent], [backupJobId, 'backup', 'SUCCEEDED', backupId, 100]);
    const text = await cli('jobs', 'get', restoreJobId);
    assert.match(text.stdout, new RegExp(`^job ${restoreJobId}\\s+restore\\s+SUCCEEDED\\s+100%`));
    const watched = json(await cli('jobs', 'watch', backupJobId, '--json'));
    assert.equal(watched.state, 'SUCCEEDED');
    const b = json(await cli('backups', 'get', backupId, '--json'));
    assert.deepEqual([b.id, b.state, b.jobId], [backupId, 'AVAILABLE', backupJobId]);
    const bt = await cli('backups', 'get', backupId);
    assert.match(bt.stdout, /State:\s+AVAILABLE/);
  });

  it('requests a backup without waiting, then watches it', async () => {
    const b = json(await cli('backup', name, '--json'));
    assert.equal(b.state, 'CREATING');
    assert.match(b.job.id, /^job_/);
    const r = await cli('jobs', 'watch', b.job.id);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^job ${b.job.id}\\s+backup\\s+SUCCEEDED`));
  });

  it('cancels a job, and the exit code follows the state the job ends in', async () => {
    const b = json(await cli('backup', name, '--json'));
    const canceled = json(await cli('jobs', 'cancel', b.job.id, '--json'));
    assert.equal(canceled.id, b.job.id);
    assert.ok(canceled.state === 'CANCELED' || canceled.cancelRequested === true || canceled.state === 'SUCCEEDED', JSON.stringify(canceled));
    const r = await cli('jobs', 'watch', b.job.id, '--json');
    const end = JSON.parse(r.stdout);
    const expected = end.state === 'SUCCEEDED' ? 0 : ERRORS[end.error?.code as keyof typeof ERRORS]?.exitCode ?? ERRORS.CANCELED.exitCode;
    assert.equal(r.code, expected, `${end.state}: ${r.stderr}`);
    if (end.state !== 'SUCCEEDED') assert.match(r.stderr, new RegExp(`job ${b.job.id} \\(backup\\) ${end.state}`));
  });

  it('exits with the job error\'s exit code and prints the error when a backup fails', async () => {
    const gone = join(dir, 'gone');
    mkdirSync(gone);
    json(await cli('resources', 'create', '--name', `${name}-gone`, '--driver', 'volume', '--config', JSON.stringify({ path: gone }), '--json'));
    rmSync(gone, { recursive: true });
    const r = await cli('backup', `${name}-gone`, '--wait', '--json');
    const b = JSON.parse(r.stdout);
    assert.equal(b.job.state, 'FAILED');
    assert.equal(b.state, 'FAILED');
    assert.equal(r.code, ERRORS[b.job.error.code as keyof typeof ERRORS].exitCode);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`^Fatal: job ${b.job.id} \\(backup\\) FAILED: ${b.job.error.code}: .*gone`));
  });

  it('lists backups with filters', async (t) => {
    if (!(await routeExists('/v1/backups'))) return t.skip('GET /v1/backups answers 404 (the list route is not merged yet)');
    const all = json(await cli('backups', 'list', '--resource', name, '--json'));
    assert.ok(all.length >= 3, String(all.length));
    assert.ok(all.some((b: { id: string }) => b.id === backupId));
    const resourceId = json(await cli('resources', 'get', name, '--json')).id;
    assert.ok(all.every((b: { resourceId: string }) => b.resourceId === resourceId));
    const failed = json(await cli('backups', 'list', '--state', 'failed', '--json'));
    assert.ok(failed.length >= 1 && failed.every((b: { state: string }) => b.state === 'FAILED'));
    assert.equal(json(await cli('backups', 'list', '--limit', '1', '--json')).length, 1);
    const table = await cli('backups', 'list', '--resource', name);
    assert.match(table.stdout, new RegExp(`${backupId}\\s+second\\s+${resourceId}`));
  });

  it('lists jobs', async (t) => {
    if (!(await routeExists('/v1/jobs'))) return t.skip('GET /v1/jobs answers 404 (the list route is not merged yet)');
    const all = json(await cli('jobs', 'list', '--json'));
    const ids = all.map((j: { id: string }) => j.id);
    assert.ok(ids.includes(backupJobId) && ids.includes(restoreJobId));
    const restores = json(await cli('jobs', 'list', '--kind', 'restore', '--state', 'SUCCEEDED', '--json'));
    assert.ok(restores.length >= 2 && restores.every((j: { kind: string; state: string }) => j.kind === 'restore' && j.state === 'SUCCEEDED'));
  });

  it('refuses a bad token with the UNAUTHENTICATED exit code, a clear message and no secret', async () => {
    const bad = 'hf_badbadbad_notasecretatall0000000000000000000000000000';
    const r = await run(['resources', 'list'], { HOLDFAST_SERVER: server.url, HOLDFAST_TOKEN: bad });
    assert.equal(r.code, ERRORS.UNAUTHENTICATED.exitCode);
    assert.match(r.stderr, /^Fatal: UNAUTHENTICATED: .*the token was refused.*HOLDFAST_TOKEN.*HTTP 401/);
    assert.ok(!r.stderr.includes(bad) && !r.stdout.includes(bad));
    const none = await run(['jobs', 'get', backupJobId], { HOLDFAST_SERVER: server.url });
    assert.equal(none.code, ERRORS.UNAUTHENTICATED.exitCode);
    assert.match(none.stderr, /no token given: use --token, --token-file or HOLDFAST_TOKEN/);
  });

  it('takes the server and the token from flags or a token file', async () => {
    const file = join(dir, 'token');
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    const r = await run(['jobs', 'get', backupJobId, '--server', server.url, '--token-file', file, '--json'], {});
    assert.equal(json(r).id, backupJobId);
    const flag = await run(['backups', 'get', backupId, '--server', server.url, '--token', token, '--json'], { HOLDFAST_TOKEN: 'hf_wrong_wrong' });
    assert.equal(json(flag).id, backupId);
  });

  it('says which server it cannot reach', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await run(['resources', 'list'], { HOLDFAST_SERVER: url, HOLDFAST_TOKEN: token });
    assert.equal(r.code, ERRORS.BACKEND_IO.exitCode);
    assert.match(r.stderr, new RegExp(`^Fatal: cannot reach the Holdfast server at ${url}: ECONNREFUSED`));
    const bad = await run(['resources', 'list', '--server', 'not a url'], { HOLDFAST_TOKEN: token });
    assert.equal(bad.code, ERRORS.INVALID_ARGUMENT.exitCode);
    assert.match(bad.stderr, /--server must be a URL/);
  });

  it('prints the API\'s code and message for unknown ids and bad input', async () => {
    const missing = await cli('backups', 'get', 'bak_nope');
    assert.equal(missing.code, ERRORS.NOT_FOUND.exitCode);
    assert.match(missing.stderr, /^Fatal: NOT_FOUND: no backup bak_nope \[HTTP 404 from GET /);
    const noResource = await cli('backup', 'no-such-resource');
    assert.match(noResource.stderr, /no resource with the id or name no-such-resource/);
    const badConfig = await cli('resources', 'create', '--name', 'x', '--driver', 'volume', '--config', '{nope');
    assert.equal(badConfig.code, ERRORS.INVALID_ARGUMENT.exitCode);
    assert.match(badConfig.stderr, /--config is not valid JSON/);
    const badTarget = await cli('restore', backupId, '--to', '{"path": 3}');
    assert.match(badTarget.stderr, /^Fatal: INVALID_ARGUMENT: .*path.*\[HTTP 400 from POST /);
  });

  it('draws the progress bar on a terminal and clears it at the end', async () => {
    let err = '';
    const stderr = Object.assign(new Writable({ write(c, _e, cb) { err += String(c); cb(); } }), { isTTY: true, columns: 100 });
    let out = '';
    const stdout = new Writable({ write(c, _e, cb) { out += String(c); cb(); } });
    const ctx: CliContext = {
      stdout, stderr, stdin: new PassThrough(), settings: { server: server.url, token }, repoEnv: repoEnvironment(),
      readFile: async (p) => readFileSync(p, 'utf8'), status: { exitCode: 0 },
    };
    assert.equal(await runCli(ctx, ['backup', name, '--wait']), 0, err);
    assert.match(err, /^\r\[.*\] .*files .*B\/s {2}ETA /);
    assert.ok(err.endsWith('\r\x1b[K'), JSON.stringify(err.slice(-20)));
    assert.match(out, /AVAILABLE/);
  });

  it('deletes a backup and waits for its delete job', async (t) => {
    const probe = await fetch(`${server.url}/v1/backups/bak_nope`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    if ((await probe.json() as { message: string }).message === 'no such route') return t.skip('DELETE /v1/backups/:id is not merged yet');
    const b = json(await cli('backup', name, '--wait', '--json'));
    const job = json(await cli('backups', 'delete', b.id, '--wait', '--json'));
    assert.deepEqual([job.kind, job.state, job.backupId], ['delete', 'SUCCEEDED', b.id]);
    const gone = await cli('backups', 'get', b.id);
    assert.equal(gone.code, ERRORS.NOT_FOUND.exitCode, gone.stdout);
    assert.match(gone.stderr, /NOT_FOUND/);
  });

  it('deletes a resource by name', async () => {
    const gone = json(await cli('resources', 'delete', `${name}-gone`, '--json'));
    assert.equal(gone.deleted, true);
    const again = await cli('resources', 'get', gone.id);
    assert.equal(again.code, ERRORS.NOT_FOUND.exitCode);
  });
});
