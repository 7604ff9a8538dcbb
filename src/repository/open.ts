/**
 * Creating and opening repositories: init writes a fresh master key, one key
 * file and the config; open tries the key files with the password, as restic
 * does (at most 20), then decrypts the config.
 */
import { fail, isHoldfastError } from '../common/errors.js';
import { hashId, type Id } from '../common/ids.js';
import type { Backend, CallOptions } from '../backend/backend.js';
import { newMasterKey, open as openSealed, sealRandom, type MasterKey } from '../format/crypto.js';
import { encodeConfig, newConfig, parseConfig, type RepoConfig } from '../format/config.js';
import { createKeyFile, DEFAULT_KDF, parseKeyFile, unlockKeyFile, type KdfParams } from '../format/keyfile.js';
import { formatGoTime } from '../format/gotime.js';
import type { RepositoryEnv } from './context.js';

const MAX_KEYS_TRIED = 20;

export interface OpenedRepository {
  readonly backend: Backend;
  readonly config: RepoConfig;
  readonly key: MasterKey;
  readonly keyId: Id;
}

export interface InitOptions extends CallOptions {
  readonly version?: 1 | 2;
  readonly kdf?: KdfParams;
}

export async function initRepository(backend: Backend, password: string, env: RepositoryEnv, opts: InitOptions = {}): Promise<OpenedRepository> {
  if (await backend.hasConfig(opts)) throw fail('REPOSITORY_EXISTS', `a repository already exists at ${backend.location}`);
  await backend.create(opts);
  const key = newMasterKey(env.random);
  const config = newConfig(env.random, opts.version ?? 2);
  const keyId = await saveKeyFile(backend, { password, key, env, kdf: opts.kdf ?? DEFAULT_KDF }, opts);
  await backend.save({ type: 'config', name: '' }, sealRandom(key, encodeConfig(config), env.random), opts);
  return { backend, config, key, keyId };
}

export async function saveKeyFile(
  backend: Backend,
  o: { password: string; key: MasterKey; env: RepositoryEnv; kdf: KdfParams },
  opts: CallOptions = {},
): Promise<Id> {
  const bytes = await createKeyFile({
    password: o.password,
    master: o.key,
    params: o.kdf,
    random: o.env.random,
    created: formatGoTime(o.env.clock.nowNs()),
    username: o.env.username,
    hostname: o.env.hostname,
  });
  const id = hashId(bytes);
  await backend.save({ type: 'key', name: id }, bytes, opts);
  return id;
}

export async function openRepository(backend: Backend, password: string, opts: CallOptions = {}): Promise<OpenedRepository> {
  if (!(await hasRepository(backend, opts))) throw fail('REPOSITORY_NOT_FOUND', `there is no repository at ${backend.location}`);
  const { key, keyId } = await findKey(backend, password, opts);
  const sealed = await backend.load({ type: 'config', name: '' }, undefined, opts);
  const config = parseConfig(openSealed(key, sealed));
  return { backend, config, key, keyId };
}

/** Opens a repository with a master key already unlocked (no key derivation); fails if the key does not open its config. */
export async function openWithKey(backend: Backend, known: { key: MasterKey; keyId: Id }, opts: CallOptions = {}): Promise<OpenedRepository> {
  const sealed = await backend.load({ type: 'config', name: '' }, undefined, opts);
  return { backend, config: parseConfig(openSealed(known.key, sealed)), key: known.key, keyId: known.keyId };
}

async function hasRepository(backend: Backend, opts: CallOptions): Promise<boolean> {
  try {
    return await backend.hasConfig(opts);
  } catch (err) {
    if (isHoldfastError(err, 'NOT_FOUND')) return false;
    throw err;
  }
}

/** Tries the key files in list order; a MAC failure means "not this key". */
export async function findKey(backend: Backend, password: string, opts: CallOptions = {}): Promise<{ key: MasterKey; keyId: Id }> {
  let tried = 0;
  for await (const info of backend.list('key', opts)) {
    if (tried++ >= MAX_KEYS_TRIED) break;
    const file = parseKeyFile(await backend.load({ type: 'key', name: info.name }, undefined, opts));
    const key = await unlockKeyFile(password, file);
    if (key !== null) return { key, keyId: info.name };
  }
  if (tried === 0) throw fail('REPOSITORY_NOT_FOUND', `the repository at ${backend.location} has no key files`);
  throw fail('WRONG_PASSWORD', 'wrong password or no key found');
}
