/**
 * Applies a node's metadata to a restored path: owner (only as root, as
 * restic does), permission bits, then times last, since changing anything
 * else would touch them again. Node's utimes takes seconds as a double, so
 * restored times are exact to the microsecond.
 */
import { chmod, lchown, lutimes, utimes } from 'node:fs/promises';
import type { TreeNode } from '../../format/tree.js';
import { unixPermFromGo } from '../../format/filemode.js';

export interface MetadataOptions {
  readonly restoreOwners: boolean;
}

export async function applyMetadata(path: Buffer, node: TreeNode, o: MetadataOptions): Promise<void> {
  const symlink = node.type === 'symlink';
  if (o.restoreOwners) await lchown(path, node.uid, node.gid);
  if (!symlink && node.mode !== undefined) await chmod(path, unixPermFromGo(node.mode));
  const atime = nsToSeconds(node.atime);
  const mtime = nsToSeconds(node.mtime);
  if (symlink) await lutimes(path, atime, mtime);
  else await utimes(path, atime, mtime);
}

/** libuv truncates the double to nanoseconds; half a microsecond up keeps the truncation on the exact microsecond. */
function nsToSeconds(ns: bigint): number {
  return (Number(ns / 1000n) + 0.5) / 1e6;
}
