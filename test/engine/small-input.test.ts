/** The bounded look that lets small backups run one chunking worker. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSmallInput } from '../../src/engine/backup/small-input.js';

describe('isSmallInput', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'holdfast-small-'));
    mkdirSync(join(dir, 'tiny', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'tiny', 'a.txt'), 'a');
    writeFileSync(join(dir, 'tiny', 'sub', 'b.bin'), Buffer.alloc(4096));
    symlinkSync('/nonexistent/target', join(dir, 'tiny', 'dangling'));
    mkdirSync(join(dir, 'many'));
    for (let i = 0; i < 40; i++) writeFileSync(join(dir, 'many', `f${i}`), 'x');
    writeFileSync(join(dir, 'big.img'), Buffer.alloc(64 * 1024));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('calls a few small files small, symlinks included', async () => {
    assert.equal(await isSmallInput([join(dir, 'tiny')]), true);
  });

  it('stops at the byte limit, counted over all paths', async () => {
    const limits = { bytes: 100 * 1024, entries: 1000 };
    assert.equal(await isSmallInput([join(dir, 'big.img')], limits), true);
    assert.equal(await isSmallInput([join(dir, 'big.img'), join(dir, 'big.img')], limits), false);
  });

  it('stops at the entry limit', async () => {
    assert.equal(await isSmallInput([join(dir, 'many')], { bytes: 1 << 20, entries: 41 }), true);
    assert.equal(await isSmallInput([join(dir, 'many')], { bytes: 1 << 20, entries: 40 }), false);
  });

  it('is unsure (false) about what it cannot read', async () => {
    assert.equal(await isSmallInput([join(dir, 'missing')]), false);
  });
});
