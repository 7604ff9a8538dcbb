/**
 * A dump tool's stdout must reach the engine even when the tool exited before
 * the engine began to read: Node discards the unread stdout of an exited
 * child, which stored fast database dumps as empty files whenever the event
 * loop was busy between spawning the tool and the engine's first read. And a
 * killed child whose output no one reads any more must still settle `done`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startChild } from '../../src/source/process.js';

const env = { PATH: '/usr/bin:/bin' };

describe('startChild stdout', () => {
  it('keeps the whole output of a child that exited before anyone read it', async () => {
    // 40 000 bytes: more than the stream buffers, less than the kernel's pipe, so the child exits unread.
    const child = startChild({ command: 'sh', args: ['-c', 'head -c 40000 /dev/zero; echo end'], env, what: 'test' });
    const exited = Date.now();
    while (Date.now() - exited < 300) { /* a busy event loop: the child's exit is handled before the first read */ }
    await sleep(200);
    let bytes = 0;
    let tail = Buffer.alloc(0);
    for await (const piece of child.stdout) {
      bytes += piece.length;
      tail = Buffer.concat([tail, piece]).subarray(-4);
    }
    await child.done;
    assert.equal(bytes, 40_004);
    assert.equal(tail.toString('latin1'), 'end\n');
  });

  it('settles done after kill() when the reader stopped part-way', async () => {
    const child = startChild({ command: 'sh', args: ['-c', 'head -c 50000000 /dev/zero'], env, what: 'test' });
    for await (const piece of child.stdout) { assert.ok(piece.length > 0); break; } // the reader gives up
    child.kill();
    const settled = await Promise.race([child.done.then(() => 'resolved', () => 'rejected'), sleep(5000, 'hung')]);
    assert.notEqual(settled, 'hung');
  });

  it('settles done after kill() when no one ever read', async () => {
    const child = startChild({ command: 'sh', args: ['-c', 'head -c 50000000 /dev/zero'], env, what: 'test' });
    await sleep(100);
    child.kill();
    const settled = await Promise.race([child.done.then(() => 'resolved', () => 'rejected'), sleep(5000, 'hung')]);
    assert.notEqual(settled, 'hung');
  });
});
