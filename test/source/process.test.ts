/**
 * The child-process helper: secrets never reach messages, the stderr tail is
 * bounded, a missing tool and an abort are SOURCE_UNREADABLE, stdin is fed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runWithInput, scrub, startChild, run } from '../../src/source/process.js';
import { collectStream, rejectsUnreadable } from './conformance.js';

const base = { baseEnv: process.env };

describe('source child processes', () => {
  it('scrubs secrets, also URL-encoded, from the stderr of a failing tool', async () => {
    const secret = 'p@ss word!';
    const child = startChild({
      ...base,
      command: 'sh',
      args: ['-c', 'echo "password was $PGPASSWORD in postgres://u:$1@h" >&2; exit 3', 'sh', encodeURIComponent(secret)],
      env: { PGPASSWORD: secret },
      secrets: [secret],
      what: 'test dump',
    });
    await collectStream(child.stdout);
    const err = await rejectsUnreadable(child.done, secret);
    assert.ok(!err.message.includes(encodeURIComponent(secret)));
    assert.match(err.message, /test dump: sh exited with code 3: password was \*\*\* in postgres:\/\/u:\*\*\*@h/);
    assert.equal(scrub('a-s-a', ['s', undefined, '']), 'a-***-a');
  });

  it('keeps only a bounded tail of stderr', async () => {
    const child = startChild({ ...base, command: 'sh', args: ['-c', 'head -c 100000 /dev/zero | tr "\\0" x >&2; echo END >&2; exit 1'], what: 'noisy' });
    const err = await rejectsUnreadable(child.done);
    assert.ok(err.message.length < 5000);
    assert.match(err.message, /END$/);
  });

  it('streams stdout and resolves done on exit code 0', async () => {
    const child = startChild({ ...base, command: 'sh', args: ['-c', 'head -c 1000000 /dev/zero'], what: 'zeros' });
    assert.equal((await collectStream(child.stdout)).length, 1_000_000);
    await child.done;
  });

  it('reports a missing tool as SOURCE_UNREADABLE', async () => {
    await rejectsUnreadable(run({ ...base, command: 'holdfast-no-such-tool', args: [], what: 'missing' }));
  });

  it('kills the child when the signal aborts', async () => {
    const controller = new AbortController();
    const child = startChild({ ...base, command: 'sleep', args: ['30'], signal: controller.signal, what: 'sleeper' });
    controller.abort();
    const err = await rejectsUnreadable(child.done);
    assert.match(err.message, /killed by SIGTERM/);
  });

  it('feeds stdin to a restore tool and fails when it fails', async () => {
    const input = (async function* () { yield Buffer.from('hello'); })();
    await runWithInput({ ...base, command: 'sh', args: ['-c', 'test "$(cat)" = hello'], what: 'reader' }, input);
    const many = (async function* () { for (let i = 0; i < 100; i++) yield Buffer.alloc(65536); })();
    await rejectsUnreadable(runWithInput({ ...base, command: 'sh', args: ['-c', 'exit 5'], what: 'quitter' }, many));
  });
});
