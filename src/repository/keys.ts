/**
 * Key management: every key file wraps the same master key under a different
 * password. Removing the key in use is refused, so a repository never loses
 * its last way in through this API.
 */
import { fail } from '../common/errors.js';
import type { Id } from '../common/ids.js';
import type { CallOptions } from '../backend/backend.js';
import { DEFAULT_KDF, parseKeyFile, type KdfParams } from '../format/keyfile.js';
import type { RepositoryEnv } from './context.js';
import { saveKeyFile, type OpenedRepository } from './open.js';

export interface KeyInfo {
  readonly id: Id;
  readonly current: boolean;
  readonly username?: string;
  readonly hostname?: string;
  readonly created: string;
}

export async function listKeys(repo: OpenedRepository, opts: CallOptions = {}): Promise<KeyInfo[]> {
  const keys: KeyInfo[] = [];
  for await (const info of repo.backend.list('key', opts)) {
    const file = parseKeyFile(await repo.backend.load({ type: 'key', name: info.name }, undefined, opts));
    keys.push({
      id: info.name,
      current: info.name === repo.keyId,
      created: file.created,
      ...(file.username === undefined ? {} : { username: file.username }),
      ...(file.hostname === undefined ? {} : { hostname: file.hostname }),
    });
  }
  return keys.sort((a, b) => a.created.localeCompare(b.created));
}

export async function addKey(
  repo: OpenedRepository,
  newPassword: string,
  env: RepositoryEnv,
  opts: CallOptions & { kdf?: KdfParams } = {},
): Promise<Id> {
  if (newPassword.length === 0) throw fail('INVALID_ARGUMENT', 'the new password must not be empty');
  return saveKeyFile(repo.backend, { password: newPassword, key: repo.key, env, kdf: opts.kdf ?? DEFAULT_KDF }, opts);
}

export async function removeKey(repo: OpenedRepository, id: Id, opts: CallOptions = {}): Promise<void> {
  if (id === repo.keyId) throw fail('INVALID_ARGUMENT', 'refusing to remove the key currently used to access the repository');
  await repo.backend.stat({ type: 'key', name: id }, opts);
  await repo.backend.remove({ type: 'key', name: id }, opts);
}
