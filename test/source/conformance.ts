/**
 * The one suite every source driver runs (STYLE.md habit 1). It backs a
 * resource up, consumes the input the way the engine would (a stream into
 * memory; paths copied under a holding directory at their absolute path, as a
 * restic snapshot lays them out), damages the source, restores from a fake
 * RestoreSource and compares fingerprints. It also checks that a failing tool
 * surfaces as SOURCE_UNREADABLE without the password, and that abort() stops it.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isHoldfastError } from '../../src/common/errors.js';
import type { BackupInput, BackupSession, DriverContext, RestoreSource, SourceDriver } from '../../src/source/driver.js';

export interface SourceFixture {
  readonly config: unknown;
  readonly target: unknown;
  /** A fingerprint of the source's content (a dump, rows, bytes and tree). */
  fingerprint(): Promise<string>;
  /** A fingerprint of the restore target; defaults to fingerprint(). */
  restoredFingerprint?(): Promise<string>;
  /** Changes or drops the source data, so that the restore has something to put back. */
  damage(): Promise<void>;
  /** A config whose backup must fail, and the password that must not show in the error. */
  readonly failing: { readonly config: unknown; readonly secret?: string };
  /** True when the backup tool is still running when abort() is called right after openBackup. */
  readonly abortKills: boolean;
  cleanup(): Promise<void>;
}

export type Collected =
  | { readonly kind: 'paths'; readonly holding: string }
  | { readonly kind: 'stream'; readonly filename: string; readonly bytes: Buffer };

export async function collectStream(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

/** Consumes a BackupInput as the engine would; `holding` receives archived paths at their absolute path. */
export async function consume(input: BackupInput, holding: string): Promise<Collected> {
  if (input.kind === 'stream') return { kind: 'stream', filename: input.filename, bytes: await collectStream(input.stream) };
  for (const p of input.paths) await cp(p, join(holding, p), { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  return { kind: 'paths', holding };
}

/** A RestoreSource over collected data, keeping restic's layout for trees. */
export function fakeSource(c: Collected): RestoreSource {
  return {
    restoreTree: async (target) => {
      assert.equal(c.kind, 'paths', 'restoreTree called for a stream backup');
      if (c.kind === 'paths') await cp(c.holding, target, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    },
    readStream: () => {
      assert.equal(c.kind, 'stream', 'readStream called for a paths backup');
      return (async function* () {
        if (c.kind === 'stream') for (let i = 0; i < c.bytes.length; i += 65536) yield c.bytes.subarray(i, i + 65536);
      })();
    },
  };
}

export async function rejectsUnreadable(p: Promise<unknown>, secret?: string): Promise<Error> {
  const err = await p.then(() => assert.fail('expected SOURCE_UNREADABLE, but it succeeded'), (e: unknown) => e);
  assert.ok(isHoldfastError(err, 'SOURCE_UNREADABLE'), `expected SOURCE_UNREADABLE, got ${String(err)}`);
  if (secret !== undefined) assert.ok(!err.message.includes(secret), `the message shows the password: ${err.message}`);
  return err;
}

/** Opens a backup and lets it fail at open or at finish, as a driver may do either. */
async function failingBackup(driver: SourceDriver, config: unknown, ctx: DriverContext): Promise<void> {
  const session = await driver.openBackup(driver.parseConfig(config), ctx);
  await consume(session.input, join(ctx.scratchDir, 'holding-failing'));
  await session.finish();
}

export function sourceConformance(name: string, driver: SourceDriver, setup: () => Promise<SourceFixture>, skip?: string): void {
  describe(`source conformance: ${name}`, { skip }, () => {
    let fx: SourceFixture;
    let scratch: string;
    const ctx = (signal?: AbortSignal): DriverContext => ({ scratchDir: scratch, env: process.env, signal });

    before(async () => {
      scratch = await mkdtemp(join(tmpdir(), `holdfast-source-${name}-`));
      fx = await setup();
    });
    after(async () => {
      await fx?.cleanup();
      await rm(scratch, { recursive: true, force: true });
    });

    it('restores what the backup read, after the source was damaged', async () => {
      const before = await fx.fingerprint();
      const config = driver.parseConfig(fx.config);
      const session = await driver.openBackup(config, ctx());
      const collected = await consume(session.input, join(scratch, 'holding'));
      await session.finish();
      await session.abort(); // safe after finish
      await fx.damage();
      assert.notEqual(await fx.fingerprint(), before, 'damage() must change the source');
      await driver.restore(config, driver.parseTarget(fx.target, config), fakeSource(collected), ctx());
      assert.equal(await (fx.restoredFingerprint ?? fx.fingerprint)(), before);
    });

    it('reports a failing tool as SOURCE_UNREADABLE without the password', async () => {
      await rejectsUnreadable(failingBackup(driver, fx.failing.config, ctx()), fx.failing.secret);
    });

    it('abort() stops the backup and may be called twice', async () => {
      const session: BackupSession = await driver.openBackup(driver.parseConfig(fx.config), ctx());
      await session.abort();
      await session.abort();
      if (fx.abortKills) await rejectsUnreadable(session.finish());
    });

    it('an aborted signal stops the backup tool', async () => {
      if (!fx.abortKills) return;
      const controller = new AbortController();
      const session = await driver.openBackup(driver.parseConfig(fx.config), ctx(controller.signal));
      controller.abort();
      const err = await rejectsUnreadable(session.finish());
      assert.equal((err as { data?: { aborted?: boolean } }).data?.aborted, true);
    });

    it('rejects configs with INVALID_ARGUMENT', () => {
      for (const bad of [undefined, null, 'x', [], {}]) {
        assert.throws(() => driver.parseConfig(bad), (e: unknown) => isHoldfastError(e, 'INVALID_ARGUMENT'));
      }
    });
  });
}
