/** The blob writer under concurrent callers: packs are finished by one caller while others add. */
import { after, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cryptoRandom, systemClock } from '../../src/common/clock.js';
import { localBackend } from '../../src/backend/local.js';
import { initRepository } from '../../src/repository/open.js';
import { createRepository } from '../../src/repository/repository.js';
import { createBlobWriter } from '../../src/repository/blob-writer.js';
import { sealBlob } from '../../src/repository/blob-codec.js';
import type { RepositoryEnv } from '../../src/repository/context.js';

const env: RepositoryEnv = { clock: systemClock, random: cryptoRandom, hostname: 'test-host', username: 'tester', pid: process.pid, isProcessAlive: () => true };

describe('blob writer', () => {
  it('stores every blob exactly once when many callers add while packs fill and close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'holdfast-writer-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const repo = createRepository(await initRepository(localBackend(dir), 'pw', env, { kdf: { N: 1024, r: 8, p: 1 } }), env);
    const writer = createBlobWriter(repo, { key: repo.key, random: cryptoRandom, version: 2, compression: 'off' }, { packSize: 4096, uploads: 2 });
    const blobs = Array.from({ length: 400 }, (_, i) => randomBytes(500 + (i % 7) * 300));
    // Four callers adding one blob at a time, like the backup's workers and tree saver.
    const ids: string[] = [];
    await Promise.all([0, 1, 2, 3].map(async (chain) => {
      for (let i = chain; i < blobs.length; i += 4) ids[i] = await writer.addBlob(i % 5 === 0 ? 'tree' : 'data', blobs[i]!);
    }));
    await writer.flush();
    for (const [i, id] of ids.entries()) assert.ok(repo.index.has(i % 5 === 0 ? 'tree' : 'data', id), `blob ${i} is indexed`);
    const stats = writer.stats();
    assert.equal(stats.dataBlobs + stats.treeBlobs, blobs.length);
    assert.ok(stats.packs > 50, `small packs were closed as they filled (${stats.packs})`);
  });

  it('frees blobs given up with `release` once written, and keeps the others; both read back intact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'holdfast-writer-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const repo = createRepository(await initRepository(localBackend(dir), 'pw', env, { kdf: { N: 1024, r: 8, p: 1 } }), env);
    const seal = { key: repo.key, random: cryptoRandom, version: 2 as const, compression: 'auto' as const };
    const writer = createBlobWriter(repo, seal, { packSize: 1 << 20 });
    const plain = [randomBytes(300_000), Buffer.from(randomBytes(150_000).toString('base64')), randomBytes(200_000)]; // raw, compressed, raw
    const given = plain.map((p) => ({ ...sealBlob(seal, 'data', p), release: true }));
    const sealedSizes = given.reduce((n, b) => n + b.sealed.length, 0);
    const keptPlain = randomBytes(100_000);
    const kept = sealBlob(seal, 'data', keptPlain);
    const keptCopy = Buffer.from(kept.sealed);
    for (const [i, b] of given.entries()) await writer.addSealed(b, plain[i]!.length);
    await writer.addSealed(kept, 100_000);
    await writer.flush();
    for (const b of given) assert.equal(b.sealed.length, 0, 'a released blob is freed once stored');
    assert.deepEqual(Buffer.from(kept.sealed), keptCopy, 'a blob not given up is untouched');
    assert.equal(writer.stats().storedBytes, sealedSizes + keptCopy.length, 'stats count released blobs by their size when given');
    for (const [i, b] of given.entries()) assert.deepEqual(await repo.loadBlob('data', b.id), plain[i]);
    assert.deepEqual(await repo.loadBlob('data', kept.id), keptPlain);
    assert.ok(given[1]!.uncompressedLength !== undefined, 'the text blob was stored compressed');
  });
});
