/** Paths as bytes: file names may not be valid UTF-8, so walking and restoring keep them as Buffers. */

const SLASH = 0x2f;

export function joinBytes(dir: Uint8Array, name: Uint8Array): Buffer {
  const needsSlash = dir.length === 0 || dir[dir.length - 1] !== SLASH;
  return Buffer.concat(needsSlash ? [dir, Buffer.from('/'), name] : [dir, name]);
}

/** Splits an absolute path into its components ("/a/b" → ["a", "b"]). */
export function splitAbsolute(path: string): string[] {
  return path.split('/').filter((c) => c !== '' && c !== '.');
}

/** For messages: bytes shown as UTF-8 where valid. */
export function displayPath(p: Uint8Array | string): string {
  return typeof p === 'string' ? p : Buffer.from(p).toString('utf8');
}
