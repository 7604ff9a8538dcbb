/**
 * The one suite every Backend runs (restic's backend/test). A backend's test
 * file calls backendConformance with a factory for a fresh, empty backend.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isHoldfastError, type ErrorCode } from '../../src/common/errors.js';
import { hashId, sha256 } from '../../src/common/ids.js';
import type { Backend, FileInfo, FileType, Handle } from '../../src/backend/backend.js';

export interface BackendFixture {
  readonly backend: Backend;
  cleanup(): Promise<void>;
  /** Puts a file whose name is not an id into the folder of `type`, by hand; the listing must skip it. */
  addJunk?(type: FileType): Promise<void>;
}

const ID_TYPES: readonly FileType[] = ['key', 'data', 'index', 'snapshot', 'lock'];

/** A handle named, as in restic, by the SHA-256 of the content. */
export function handleFor(type: FileType, data: Uint8Array): Handle {
  return { type, name: type === 'config' ? '' : hashId(data) };
}

export async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<Error> {
  let caught: unknown;
  await p.then(() => assert.fail(`expected ${code}, but it succeeded`), (err: unknown) => { caught = err; });
  assert.ok(isHoldfastError(caught), `expected a HoldfastError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

export async function collect(it: AsyncIterable<FileInfo>): Promise<FileInfo[]> {
  const out: FileInfo[] = [];
  for await (const info of it) out.push(info);
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export function backendConformance(name: string, make: () => Promise<BackendFixture>): void {
  describe(`${name}: Backend conformance`, () => {
    let fx: BackendFixture;
    let be: Backend;
    beforeEach(async () => {
      fx = await make();
      be = fx.backend;
      await be.create();
    });
    afterEach(async () => {
      await be.close();
      await fx.cleanup();
    });

    createCases(() => be);
    roundTripCases(() => be);
    rangeCases(() => be);
    missingCases(() => be);
    listCases(() => be, () => fx);
    removeCases(() => be);
    loadCases(() => be);
    abortCases(() => be);
  });
}

function createCases(be: () => Backend): void {
  it('has no config until one is saved', async () => {
    assert.equal(await be().hasConfig(), false);
    await be().create(); // again, still without config: harmless
    await be().save({ type: 'config', name: '' }, Buffer.from('cfg'));
    assert.equal(await be().hasConfig(), true);
  });

  it('refuses to create over an existing repository', async () => {
    await be().save({ type: 'config', name: '' }, Buffer.from('cfg'));
    await rejectsWith(be().create(), 'REPOSITORY_EXISTS');
    assert.deepEqual(await be().load({ type: 'config', name: '' }), Buffer.from('cfg'));
  });

  it('has a location', () => {
    assert.ok(be().location.length > 0);
  });
}

function roundTripCases(be: () => Backend): void {
  for (const type of ['config', ...ID_TYPES] as const) {
    it(`saves and loads a ${type} file`, async () => {
      const data = randomBytes(1000 + type.length);
      const h = handleFor(type, data);
      await be().save(h, data);
      assert.deepEqual(await be().load(h), data);
      assert.deepEqual(await be().stat(h), { name: h.name, size: data.length });
    });
  }

  it('saves the concatenation of several parts', async () => {
    const parts = [randomBytes(10), new Uint8Array(0), randomBytes(4096), new Uint8Array([1, 2, 3])];
    const h = handleFor('data', Buffer.concat(parts));
    await be().save(h, parts);
    assert.deepEqual(await be().load(h), Buffer.concat(parts));
  });

  it('saves an empty file', async () => {
    const h = handleFor('lock', new Uint8Array(0));
    await be().save(h, []);
    assert.equal((await be().load(h)).length, 0);
    assert.equal((await be().stat(h)).size, 0);
  });

  it('allows overwriting a file with the same content', async () => {
    const data = randomBytes(300);
    const h = handleFor('index', data);
    await be().save(h, data);
    await be().save(h, [data.subarray(0, 100), data.subarray(100)]);
    assert.deepEqual(await be().load(h), data);
  });

  it('keeps its own copy: neither the saved nor the loaded buffer aliases the store', async () => {
    const data = randomBytes(64);
    const original = Buffer.from(data);
    const h = handleFor('snapshot', data);
    await be().save(h, data);
    data.fill(0);
    const loaded = await be().load(h);
    loaded.fill(7);
    assert.deepEqual(await be().load(h), original);
  });

  it('rejects names that are not ids', async () => {
    for (const name of ['', 'config', '../../etc/passwd', 'ABCDEF'.repeat(10) + 'ABCD', `${'a'.repeat(64)}-tmp-1`]) {
      await rejectsWith(be().save({ type: 'data', name }, Buffer.from('x')), 'INVALID_ARGUMENT');
      await rejectsWith(be().load({ type: 'key', name }), 'INVALID_ARGUMENT');
    }
    await rejectsWith(be().save({ type: 'config', name: 'a'.repeat(64) }, Buffer.from('x')), 'INVALID_ARGUMENT');
  });
}

function rangeCases(be: () => Backend): void {
  const data = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
  const good: [string, { offset?: number; length?: number }, Buffer][] = [
    ['offset and length', { offset: 10, length: 5 }, data.subarray(10, 15)],
    ['length only', { length: 7 }, data.subarray(0, 7)],
    ['offset only', { offset: 90 }, data.subarray(90)],
    ['negative offset', { offset: -10 }, data.subarray(90)],
    ['negative offset with length', { offset: -10, length: 4 }, data.subarray(90, 94)],
    ['the exact end', { offset: 95, length: 5 }, data.subarray(95)],
    ['zero bytes at the end', { offset: 100, length: 0 }, Buffer.alloc(0)],
    ['the whole file', { offset: -100 }, data],
  ];
  for (const [what, range, want] of good) {
    it(`loads a range: ${what}`, async () => {
      const h = handleFor('data', data);
      await be().save(h, data);
      assert.deepEqual(await be().load(h, range), want);
    });
  }

  const bad: [string, { offset?: number; length?: number }][] = [
    ['past the end', { offset: 95, length: 6 }],
    ['longer than the file', { length: 101 }],
    ['offset past the end', { offset: 101 }],
    ['negative offset before the start', { offset: -101 }],
  ];
  for (const [what, range] of bad) {
    it(`rejects a range ${what} with INVALID_DATA`, async () => {
      const h = handleFor('data', data);
      await be().save(h, data);
      await rejectsWith(be().load(h, range), 'INVALID_DATA');
    });
  }
}

function missingCases(be: () => Backend): void {
  it('reports a missing file as NOT_FOUND, naming type and short id', async () => {
    const h = handleFor('snapshot', Buffer.from('never saved'));
    for (const call of [() => be().load(h), () => be().stat(h), () => be().load(h, { offset: 1, length: 1 })]) {
      const err = await rejectsWith(call(), 'NOT_FOUND');
      assert.match(err.message, new RegExp(`snapshot/${h.name.slice(0, 8)}`));
      assert.doesNotMatch(err.message, new RegExp(h.name));
    }
    await rejectsWith(be().load({ type: 'config', name: '' }), 'NOT_FOUND');
  });

  it('does not find a file under another type', async () => {
    const data = randomBytes(32);
    await be().save(handleFor('index', data), data);
    await rejectsWith(be().load(handleFor('snapshot', data)), 'NOT_FOUND');
  });
}

function listCases(be: () => Backend, fx: () => BackendFixture): void {
  it('lists exactly the saved files of a type, with sizes, and skips junk', async () => {
    const saved: FileInfo[] = [];
    for (let i = 0; i < 5; i++) {
      const data = randomBytes(100 + i * 37);
      const h = handleFor('data', data);
      await be().save(h, data);
      saved.push({ name: h.name, size: data.length });
    }
    const other = randomBytes(10);
    await be().save(handleFor('index', other), other);
    await be().save({ type: 'config', name: '' }, other);
    await fx().addJunk?.('data');
    await fx().addJunk?.('index');

    saved.sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(await collect(be().list('data')), saved);
    assert.deepEqual(await collect(be().list('index')), [{ name: hashId(other), size: 10 }]);
    assert.deepEqual(await collect(be().list('snapshot')), []);
    assert.deepEqual(await collect(be().list('config')), []);
  });

  it('saves 50 files concurrently', async () => {
    const files = Array.from({ length: 50 }, (_, i) => randomBytes(1000 + i));
    await Promise.all(files.map((data) => be().save(handleFor('data', data), data)));
    const want = files.map((d) => ({ name: hashId(d), size: d.length })).sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(await collect(be().list('data')), want);
    const loaded = await Promise.all(files.map((data) => be().load(handleFor('data', data))));
    loaded.forEach((got, i) => assert.deepEqual(got, files[i]));
  });
}

function removeCases(be: () => Backend): void {
  it('removes a file, and removing it again succeeds', async () => {
    const data = randomBytes(50);
    const keep = randomBytes(51);
    const h = handleFor('key', data);
    await be().save(h, data);
    await be().save(handleFor('key', keep), keep);
    await be().remove(h);
    await rejectsWith(be().stat(h), 'NOT_FOUND');
    await be().remove(h);
    await be().remove(handleFor('lock', Buffer.from('never saved')));
    assert.deepEqual(await collect(be().list('key')), [{ name: hashId(keep), size: 51 }]);
  });

  it('removes the config', async () => {
    await be().save({ type: 'config', name: '' }, Buffer.from('cfg'));
    await be().remove({ type: 'config', name: '' });
    assert.equal(await be().hasConfig(), false);
  });
}

function loadCases(be: () => Backend): void {
  it('stores a 20 MiB file given in parts', async () => {
    const parts = Array.from({ length: 20 }, () => randomBytes(1 << 20));
    const h = handleFor('data', Buffer.concat(parts));
    await be().save(h, parts);
    assert.equal((await be().stat(h)).size, 20 << 20);
    assert.deepEqual(sha256(await be().load(h)), sha256(parts));
    assert.deepEqual(await be().load(h, { offset: -5000 }), parts[19]!.subarray(-5000));
    assert.deepEqual(await be().load(h, { offset: (7 << 20) - 3, length: 6 }),
      Buffer.concat([parts[6]!.subarray(-3), parts[7]!.subarray(0, 3)]));
  });
}

function abortCases(be: () => Backend): void {
  it('rejects every call with an aborted signal, saving nothing', async () => {
    const ctl = new AbortController();
    ctl.abort();
    const opts = { signal: ctl.signal };
    const data = randomBytes(20);
    const h = handleFor('data', data);
    await rejectsWith(be().save(h, data, opts), 'CANCELED');
    await rejectsWith(be().stat(h), 'NOT_FOUND');
    await be().save(h, data);
    await rejectsWith(be().load(h, undefined, opts), 'CANCELED');
    await rejectsWith(be().stat(h, opts), 'CANCELED');
    await rejectsWith(be().remove(h, opts), 'CANCELED');
    await rejectsWith(be().hasConfig(opts), 'CANCELED');
    await rejectsWith(be().create(opts), 'CANCELED');
    await rejectsWith(collect(be().list('data', opts)), 'CANCELED');
    assert.deepEqual(await be().load(h), data);
  });
}
