/** Snapshot JSON: Go field order, omitempty, and reading restic's forms. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHoldfastError } from '../../src/common/errors.js';
import { hashId } from '../../src/common/ids.js';
import { parseGoTime } from '../../src/format/gotime.js';
import { encodeSnapshot, parseSnapshot, type Snapshot } from '../../src/format/snapshot.js';

const id = (s: string): string => hashId(Buffer.from(s));
const u8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const invalid = (e: unknown): boolean => isHoldfastError(e, 'INVALID_DATA');

test('encodes the spec example with every field, in Go order', () => {
  const s: Snapshot = {
    time: parseGoTime('2026-11-22T04:23:53.0589685Z'), parent: id('p'), tree: id('t'), paths: ['/srv/data/src'],
    hostname: 'vm', username: 'root', uid: 1000, gid: 100, excludes: ['*.tmp', '<x>'], tags: ['daily'], original: id('o'),
    programVersion: 'holdfast 0.1.0',
  };
  const expected = `{"time":"2026-11-22T04:23:53.0589685Z","parent":"${id('p')}","tree":"${id('t')}","paths":["/srv/data/src"],`
    + `"hostname":"vm","username":"root","uid":1000,"gid":100,"excludes":["*.tmp","\\u003cx\\u003e"],"tags":["daily"],`
    + `"original":"${id('o')}","program_version":"holdfast 0.1.0"}`;
  assert.equal(encodeSnapshot(s).toString(), expected);
  assert.deepEqual(parseSnapshot(u8(expected)), s);
});

test('omitempty: uid/gid 0, empty strings and lists are left out; paths never are', () => {
  const s: Snapshot = { time: 0n, tree: id('t'), paths: [], hostname: '', uid: 0, gid: 0, excludes: [], tags: [] };
  assert.equal(encodeSnapshot(s).toString(), `{"time":"1970-01-01T00:00:00Z","tree":"${id('t')}","paths":[]}`);
  assert.deepEqual(parseSnapshot(encodeSnapshot(s)), { time: 0n, tree: id('t'), paths: [] });
});

test('reads restic 0.14 output: local offsets, pretty printing, unknown fields', () => {
  const json = `{\n  "time": "2026-11-22T05:23:53.0589685+01:00",\n  "tree": "${id('t')}",\n  "paths": ["/a", "/b"],\n`
    + `  "hostname": "vm",\n  "uid": 0,\n  "summary": {"files_new": 3},\n  "tags": null\n}`;
  assert.deepEqual(parseSnapshot(u8(json)), { time: parseGoTime('2026-11-22T04:23:53.0589685Z'), tree: id('t'), paths: ['/a', '/b'], hostname: 'vm' });
});

test('rejects snapshots without a tree or with malformed fields', () => {
  const tree = `"tree":"${id('t')}"`;
  const bad = ['{}', '{"tree":null}', '[]', `{${tree},"time":"now"}`, `{${tree},"parent":"abc"}`, `{${tree},"uid":-1}`, `{${tree},"paths":"/"}`, `{${tree},"tags":[1]}`, '{"tree":"abc"}'];
  for (const json of bad) assert.throws(() => parseSnapshot(u8(json)), invalid, json);
  assert.throws(() => encodeSnapshot({ time: 0n, tree: 'nope', paths: [] }), invalid);
});
