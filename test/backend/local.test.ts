/**
 * The local backend: the shared suite, plus what only a disk shows: restic's
 * layout (checked against the real restic 0.14.0), no temp files left
 * behind, read-only files, and failed saves that leave nothing under the final name.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { localBackend } from '../../src/backend/local.js';
import { ioError } from '../../src/backend/handle.js';
import type { FileType } from '../../src/backend/backend.js';
import { backendConformance, collect, handleFor, rejectsWith } from './conformance.js';

const run = promisify(execFile);
const RESTIC = '/usr/bin/restic';
const FOLDER: Record<FileType, string> = { config: '', key: 'keys', data: 'data', index: 'index', snapshot: 'snapshots', lock: 'locks' };

async function tempRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'holdfast-backend-'));
}

/** Every path under dir, relative, files and folders. */
async function walk(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

async function addJunk(root: string, type: FileType): Promise<void> {
  const id = 'c'.repeat(64);
  const folder = join(root, FOLDER[type]);
  const inner = type === 'data' ? join(folder, 'cc') : folder;
  await mkdir(inner, { recursive: true });
  await writeFile(join(inner, `${id}-tmp-0123456789abcdef`), 'half written');
  await writeFile(join(inner, 'README'), 'not an id');
  await writeFile(join(inner, id.toUpperCase()), 'not lowercase');
  await mkdir(join(inner, 'd'.repeat(64)), { recursive: true }); // a folder named like an id
  if (type === 'data') await writeFile(join(folder, 'e'.repeat(64)), 'outside the data/XX folders');
}

backendConformance('local', async () => {
  const root = await tempRoot();
  return {
    backend: localBackend(join(root, 'repo')),
    cleanup: () => rm(root, { recursive: true, force: true }),
    addJunk: (type) => addJunk(join(root, 'repo'), type),
  };
});

/** Runs body with a fresh temp folder and removes it afterwards. */
async function withRoot(body: (root: string) => Promise<void>): Promise<void> {
  const root = await tempRoot();
  try {
    await body(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

describe('local backend on disk', () => {
  it('creates the same folders as restic init, and opens a restic repository', () => withRoot(async (root) => {
    const env = { ...process.env, RESTIC_PASSWORD: 'holdfast-test' };
    await run(RESTIC, ['init', '--repo', join(root, 'restic'), '-q'], { env });
    const ours = localBackend(join(root, 'ours'));
    await ours.create();
    const resticFolders = (await walk(join(root, 'restic'))).filter((p) => p !== 'config' && !p.startsWith('keys/'));
    assert.deepEqual(await walk(join(root, 'ours')), resticFolders);
    assert.equal(resticFolders.length, 5 + 256);
    assert.equal((await stat(join(root, 'ours', 'data', 'ab'))).mode & 0o777, 0o700);

    const theirs = localBackend(join(root, 'restic'));
    assert.equal(await theirs.hasConfig(), true);
    await rejectsWith(theirs.create(), 'REPOSITORY_EXISTS');
    const keys = await collect(theirs.list('key'));
    assert.equal(keys.length, 1);
    const key = await theirs.load({ type: 'key', name: keys[0]!.name });
    assert.equal(key.length, keys[0]!.size);
    assert.equal(JSON.parse(key.toString('utf8')).kdf, 'scrypt');

    // Write restic's key back through our backend; restic must still open the repository with it.
    await theirs.remove({ type: 'key', name: keys[0]!.name });
    await theirs.save({ type: 'key', name: keys[0]!.name }, key);
    const { stdout } = await run(RESTIC, ['cat', 'config', '--repo', join(root, 'restic'), '--no-lock'], { env });
    assert.equal(JSON.parse(stdout).version, 2);
  }));

  it('puts each type where restic does, read-only, with no temp file left', () => withRoot(async (root) => {
    const be = localBackend(root);
    await be.create();
    const data = randomBytes(100);
    for (const type of ['config', 'key', 'data', 'index', 'snapshot', 'lock'] as const) await be.save(handleFor(type, data), data);
    const id = handleFor('data', data).name;
    const files = ['config', `keys/${id}`, `data/${id.slice(0, 2)}/${id}`, `index/${id}`, `snapshots/${id}`, `locks/${id}`];
    for (const f of files) {
      const st = await stat(join(root, f));
      assert.equal(st.size, 100, f);
      assert.equal(st.mode & 0o777, 0o400, f);
    }
    assert.deepEqual((await walk(root)).filter((p) => p.includes('-tmp-')), []);
  }));

  it('honours fileMode', () => withRoot(async (root) => {
    const be = localBackend(root, { fileMode: 0o640 });
    const data = randomBytes(10);
    await be.save(handleFor('snapshot', data), data);
    assert.equal((await stat(join(root, 'snapshots', hashOf(data)))).mode & 0o777, 0o640);
  }));

  it('creates missing folders on demand, without create()', () => withRoot(async (root) => {
    const be = localBackend(join(root, 'a', 'b'));
    const data = randomBytes(10);
    await be.save(handleFor('data', data), data);
    assert.deepEqual(await be.load(handleFor('data', data)), data);
  }));

  it('removes a read-only file', () => withRoot(async (root) => {
    const be = localBackend(root);
    const data = randomBytes(10);
    await be.save(handleFor('lock', data), data);
    await be.remove(handleFor('lock', data));
    assert.deepEqual(await readdir(join(root, 'locks')), []);
  }));

  it('fails when a folder sits at the final name, leaving no temp file', () => withRoot(async (root) => {
    const be = localBackend(root);
    await be.create();
    const data = randomBytes(1000);
    const h = handleFor('index', data);
    await mkdir(join(root, 'index', h.name));
    await rejectsWith(be.save(h, data), 'BACKEND_IO');
    assert.deepEqual(await readdir(join(root, 'index')), [h.name]);
    assert.ok((await stat(join(root, 'index', h.name))).isDirectory());
    await rejectsWith(be.load(h), 'BACKEND_IO');
  }));

  it('fails when a regular file sits where the data/XX folder should be', () => withRoot(async (root) => {
    const be = localBackend(root);
    const data = randomBytes(1000);
    const h = handleFor('data', data);
    await mkdir(join(root, 'data'), { recursive: true });
    await writeFile(join(root, 'data', h.name.slice(0, 2)), 'in the way');
    await rejectsWith(be.save(h, data), 'BACKEND_IO');
    assert.deepEqual(await readdir(join(root, 'data')), [h.name.slice(0, 2)]);
    await rejectsWith(be.stat(h), 'BACKEND_IO');
    assert.deepEqual(await collect(be.list('data')), []);
  }));

  it('removes the temp file when the disk refuses more bytes midway (file size limit)', () => withRoot(async (root) => {
    // A child process with `ulimit -f 64` (64 KiB) gets a short write and then EFBIG: a real failure in the middle of writev.
    const parts = Array.from({ length: 16 }, () => randomBytes(64 * 1024));
    const h = handleFor('data', Buffer.concat(parts));
    await writeFile(join(root, 'parts'), Buffer.concat(parts));
    const script = `
      import { readFile } from 'node:fs/promises';
      import { localBackend } from ${JSON.stringify(moduleUrl('src/backend/local.js'))};
      const all = await readFile(${JSON.stringify(join(root, 'parts'))});
      const parts = []; for (let i = 0; i < all.length; i += 65536) parts.push(all.subarray(i, i + 65536));
      try { await localBackend(${JSON.stringify(join(root, 'repo'))}).save({ type: 'data', name: ${JSON.stringify(h.name)} }, parts); console.log('saved'); }
      catch (err) { console.log(err.code + ' ' + err.message); }`;
    const { stdout } = await run('bash', ['-c', 'ulimit -f 64 && exec "$0" --input-type=module -e "$1"', process.execPath, script]);
    assert.match(stdout, /^BACKEND_IO save data\/[0-9a-f]{8}: .*EFBIG/);
    assert.deepEqual(await walk(join(root, 'repo')), ['data', `data/${h.name.slice(0, 2)}`]);
  }));

  it('maps a full disk or quota to NO_SPACE and other errors to BACKEND_IO', () => {
    const errno = (code: string) => Object.assign(new Error(`${code}: failed, write`), { code });
    assert.equal(ioError(errno('ENOSPC'), 'save data/01234567').code, 'NO_SPACE');
    assert.equal(ioError(errno('EDQUOT'), 'save data/01234567').code, 'NO_SPACE');
    assert.equal(ioError(errno('EIO'), 'save data/01234567').code, 'BACKEND_IO');
    assert.equal(ioError(errno('EIO'), 'save data/01234567').permanent, false);
    assert.equal(ioError(errno('ENOSPC'), 'x').permanent, true);
    assert.match(ioError(errno('ENOSPC'), 'save data/01234567').message, /^save data\/01234567: ENOSPC/);
  });

  it('reports a file that shrank below the asked range as INVALID_DATA', () => withRoot(async (root) => {
    const be = localBackend(root);
    const data = randomBytes(100);
    const h = handleFor('data', data);
    await be.save(h, data);
    const path = join(root, 'data', h.name.slice(0, 2), h.name);
    await chmod(path, 0o600);
    await writeFile(path, data.subarray(0, 60));
    assert.deepEqual(await be.load(h, { offset: 50, length: 10 }), data.subarray(50, 60));
    await rejectsWith(be.load(h, { offset: 50, length: 20 }), 'INVALID_DATA');
  }));
});

function hashOf(data: Uint8Array): string {
  return handleFor('data', data).name;
}

/** file:// URL of a compiled module, from dist/test/backend/ up to dist/. */
function moduleUrl(rel: string): string {
  return new URL(`../../${rel}`, import.meta.url).href;
}

describe('local backend appenders', () => {
  it('commits an appended file under its final name, and removes only abandoned ones', async () => {
    const root = await mkdtemp(join(tmpdir(), 'holdfast-appender-'));
    try {
      const b = localBackend(root);
      await b.create();
      const done = await b.openAppender('data');
      await done.append([Buffer.from('hello '), Buffer.from('world')]);
      const name = 'ab'.repeat(32);
      await done.commit({ type: 'data', name });
      const left = await b.openAppender('data');
      await left.append(Buffer.from('never finished'));
      assert.equal((await readdir(join(root, 'data'))).filter((n) => n.startsWith('pack-tmp-')).length, 1);
      assert.deepEqual(await collect(b.list('data')), [{ name, size: 11 }]);
      assert.equal(await b.removeAbandoned('data'), 1);
      await left.abort();
      assert.deepEqual((await readdir(join(root, 'data'))).filter((n) => n.startsWith('pack-tmp-')), []);
      assert.equal((await b.load({ type: 'data', name })).toString(), 'hello world');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
