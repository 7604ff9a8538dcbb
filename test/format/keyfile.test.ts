/** Tests for key files: round trips, validation, and interoperation with the real restic 0.14. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Random } from '../../src/common/clock.js';
import { isHoldfastError } from '../../src/common/errors.js';
import { hashId, sha256 } from '../../src/common/ids.js';
import { encodeConfig, parseConfig } from '../../src/format/config.js';
import { newMasterKey, open, sealRandom, type MasterKey } from '../../src/format/crypto.js';
import {
  createKeyFile, DEFAULT_KDF, deriveKey, encodeKeyFile, parseKeyFile, unlockKeyFile, type KeyFile,
} from '../../src/format/keyfile.js';

function seededRandom(seed: string): Random {
  let counter = 0;
  return {
    bytes(n: number): Buffer {
      const parts: Buffer[] = [];
      for (let have = 0; have < n; have += 32) parts.push(sha256(Buffer.from(`${seed}:${counter++}`)));
      return Buffer.concat(parts).subarray(0, n);
    },
  };
}

const FAST = { N: 1024, r: 8, p: 1 };
const CREATED = '2026-11-22T04:23:52.611451139Z';
const invalid = (e: unknown): boolean => isHoldfastError(e, 'INVALID_DATA');

function sameKey(a: MasterKey | null, b: MasterKey): void {
  assert.ok(a);
  assert.deepEqual([a.encrypt, a.macK, a.macR], [b.encrypt, b.macK, b.macR]);
}

test('create, parse and unlock give back the master key; a wrong password gives null', async () => {
  const random = seededRandom('keyfile');
  const master = newMasterKey(random);
  const bytes = await createKeyFile({ password: 'geheim', master, params: FAST, random, created: CREATED, username: 'root', hostname: 'vm' });
  const text = bytes.toString();
  assert.match(text, /^\{"created":"2026-11-22T04:23:52.611451139Z","username":"root","hostname":"vm","kdf":"scrypt","N":1024,"r":8,"p":1,"salt":"[^"]{88}","data":"[^"]+"\}$/);
  const parsed = parseKeyFile(bytes);
  assert.equal(parsed.salt.length, 64);
  assert.equal(parsed.data.length, 32 + masterKeyJsonLength());
  assert.deepEqual(encodeKeyFile(parsed), bytes);
  sameKey(await unlockKeyFile('geheim', parsed), master);
  assert.equal(await unlockKeyFile('Geheim', parsed), null);
  assert.equal(await unlockKeyFile('', parsed), null);
});

function masterKeyJsonLength(): number {
  return '{"mac":{"k":"","r":""},"encrypt":""}'.length + 24 + 24 + 44;
}

test('username and hostname are omitted when absent', async () => {
  const random = seededRandom('anon');
  const bytes = await createKeyFile({ password: 'pw', master: newMasterKey(random), params: FAST, random, created: CREATED });
  assert.match(bytes.toString(), /^\{"created":"[^"]+","kdf":"scrypt","N":1024,/);
  const parsed = parseKeyFile(bytes);
  assert.equal('username' in parsed, false);
  assert.equal('hostname' in parsed, false);
});

test('DEFAULT_KDF is accepted and opens', async () => {
  const random = seededRandom('default');
  const master = newMasterKey(random);
  const bytes = await createKeyFile({ password: 'pw', master, params: DEFAULT_KDF, random, created: CREATED });
  assert.equal(parseKeyFile(bytes).N, 32768);
  sameKey(await unlockKeyFile('pw', parseKeyFile(bytes)), master);
});

function withField(base: KeyFile, patch: Record<string, unknown>): Buffer {
  const json = JSON.parse(encodeKeyFile(base).toString()) as Record<string, unknown>;
  return Buffer.from(JSON.stringify({ ...json, ...patch }));
}

test('invalid salts, parameters and kdfs are rejected', async () => {
  const random = seededRandom('invalid');
  const base = parseKeyFile(await createKeyFile({ password: 'pw', master: newMasterKey(random), params: FAST, random, created: CREATED }));
  const patches: Record<string, unknown>[] = [
    { salt: Buffer.alloc(32, 1).toString('base64') },
    { salt: Buffer.alloc(65, 1).toString('base64') },
    { salt: 'not base64!' },
    { salt: undefined },
    { kdf: 'argon2' },
    { N: 1 }, { N: 1000 }, { N: 2 ** 32 + 2 }, { N: '1024' },
    { r: 0 }, { p: 0 }, { p: 1.5 }, { r: 2 ** 15, p: 2 ** 15 },
    { data: 42 },
  ];
  for (const patch of patches) assert.throws(() => parseKeyFile(withField(base, patch)), invalid, JSON.stringify(patch));
  assert.throws(() => parseKeyFile(Buffer.from('{')), invalid);
  await assert.rejects(deriveKey('pw', { ...FAST, salt: Buffer.alloc(63) }), invalid);
});

test('a key file whose MAC holds but whose content is not a master key is invalid data', async () => {
  const salt = Buffer.alloc(64, 5);
  const user = await deriveKey('pw', { ...FAST, salt });
  const data = sealRandom(user, Buffer.from('{"hello":1}'), seededRandom('junk'));
  const k: KeyFile = { created: CREATED, kdf: 'scrypt', ...FAST, salt, data };
  await assert.rejects(unlockKeyFile('pw', k), invalid);
});

const RESTIC = '/usr/bin/restic';

function restic(repo: string, password: string, ...args: string[]): string {
  const env = { ...process.env, RESTIC_PASSWORD: password, RESTIC_CACHE_DIR: join(repo, '..', 'cache') };
  const r = spawnSync(RESTIC, ['--repo', repo, '--no-cache', ...args], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, `restic ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('interoperates with restic 0.14 key files and config', { skip: !existsSync(RESTIC) && 'no /usr/bin/restic' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'holdfast-keyfile-'));
  try {
    const repo = join(dir, 'repo');
    restic(repo, 'restic-pw', 'init');
    const [keyName] = readdirSync(join(repo, 'keys'));
    const keyBytes = readFileSync(join(repo, 'keys', keyName!));
    assert.equal(hashId(keyBytes), keyName);
    const keyFile = parseKeyFile(keyBytes);
    assert.equal(await unlockKeyFile('wrong', keyFile), null);
    const master = await unlockKeyFile('restic-pw', keyFile);
    assert.ok(master);
    const config = parseConfig(open(master, readFileSync(join(repo, 'config'))));
    assert.equal(config.version, 2);

    // Our key file, named by its hash, must open the repo in restic with a new password.
    const random = seededRandom('interop');
    const ours = await createKeyFile({ password: 'holdfast-pw', master, params: FAST, random, created: CREATED, hostname: 'holdfast' });
    writeFileSync(join(repo, 'keys', hashId(ours)), ours);
    // And restic must accept a config sealed by us.
    unlinkSync(join(repo, 'config'));
    writeFileSync(join(repo, 'config'), sealRandom(master, encodeConfig(config), random));
    const shown = JSON.parse(restic(repo, 'holdfast-pw', 'cat', 'config')) as Record<string, unknown>;
    assert.deepEqual(shown, { version: 2, id: config.id, chunker_polynomial: config.chunkerPolynomial.toString(16) });
    assert.match(restic(repo, 'holdfast-pw', 'key', 'list'), /holdfast/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
