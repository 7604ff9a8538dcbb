/** Builds a tree node from lstat results, filling the fields restic 0.14 fills. */
import type { BigIntStats } from 'node:fs';
import { goModeFromUnix, nodeTypeFromUnixMode } from '../../format/filemode.js';
import type { TreeNode } from '../../format/tree.js';
import type { Accounts } from './accounts.js';

export function nodeFromStat(name: Buffer, st: BigIntStats, accounts: Accounts): TreeNode {
  const stMode = Number(st.mode);
  const type = nodeTypeFromUnixMode(stMode);
  const uid = Number(st.uid);
  const gid = Number(st.gid);
  const node: TreeNode = {
    name,
    type,
    mode: goModeFromUnix(stMode),
    mtime: st.mtimeNs,
    atime: st.atimeNs,
    ctime: st.ctimeNs,
    uid,
    gid,
    inode: st.ino,
    deviceId: st.dev,
    content: type === 'file' ? [] : null,
  };
  const user = accounts.userName(uid);
  const group = accounts.groupName(gid);
  if (user !== undefined) node.user = user;
  if (group !== undefined) node.group = group;
  if (type === 'file') node.size = st.size;
  if (type !== 'dir') node.links = st.nlink;
  if (type === 'dev' || type === 'chardev') node.device = st.rdev;
  return node;
}

/** restic's fileChanged: a parent's file node may be reused only if nothing observable moved. */
export function unchangedSince(parent: TreeNode | undefined, now: TreeNode): boolean {
  return parent !== undefined && parent.type === 'file' && now.type === 'file' &&
    (parent.size ?? 0n) === (now.size ?? 0n) && parent.mtime === now.mtime && parent.ctime === now.ctime && parent.inode === now.inode &&
    parent.content !== null;
}
