/**
 * Turns a snapshot's trees into a restore plan: the directories to create,
 * the files with the blobs that fill them (and where), symlinks, hardlinks
 * to files restored earlier in the plan, and nodes that cannot be restored.
 */
import { fail } from '../../common/errors.js';
import type { Id } from '../../common/ids.js';
import type { TreeNode } from '../../format/tree.js';
import type { Repository } from '../../repository/repository.js';
import { loadTree } from '../snapshots.js';
import { joinBytes, splitAbsolute } from '../fs-path.js';

export interface PlannedBlob {
  readonly id: Id;
  /** Where the plaintext goes in the file. */
  readonly fileOffset: number;
  readonly length: number;
}

export interface PlannedFile {
  readonly path: Buffer;
  readonly node: TreeNode;
  readonly size: number;
  readonly blobs: readonly PlannedBlob[];
}

export interface RestorePlan {
  readonly dirs: { readonly path: Buffer; readonly node: TreeNode | undefined }[];
  readonly files: PlannedFile[];
  readonly symlinks: { readonly path: Buffer; readonly node: TreeNode }[];
  readonly hardlinks: { readonly path: Buffer; readonly node: TreeNode; readonly existing: Buffer }[];
  readonly unsupported: { readonly path: Buffer; readonly node: TreeNode }[];
  totalBytes: number;
}

/** Plans the node at `subpath` ("/" or "" for the root): a directory's children go into the target, a file goes into the target under its name. */
export async function planRestore(repo: Repository, rootTree: Id, subpath: string, target: string): Promise<RestorePlan> {
  const plan: RestorePlan = { dirs: [{ path: Buffer.from(target), node: undefined }], files: [], symlinks: [], hardlinks: [], unsupported: [], totalBytes: 0 };
  const start = await findNode(repo, rootTree, subpath);
  const links = new Map<string, Buffer>();
  if (start === undefined) await planTree(repo, rootTree, Buffer.from(target), plan, links);
  else if (start.type === 'dir') await planTree(repo, start.subtree!, Buffer.from(target), plan, links);
  else await planNode(repo, start, joinBytes(Buffer.from(target), start.name), plan, links);
  return plan;
}

/** The node at a path inside the snapshot, or undefined for the root itself. */
export async function findNode(repo: Repository, rootTree: Id, subpath: string): Promise<TreeNode | undefined> {
  let tree: Id = rootTree;
  let found: TreeNode | undefined;
  for (const part of splitAbsolute(subpath)) {
    if (found !== undefined) {
      if (found.type !== 'dir' || found.subtree === undefined) throw fail('NOT_FOUND', `${subpath}: ${found.name.toString()} is not a directory`);
      tree = found.subtree;
    }
    const want = Buffer.from(part);
    found = (await loadTree(repo, tree)).find((n) => n.name.equals(want));
    if (found === undefined) throw fail('NOT_FOUND', `${subpath} is not in the snapshot`);
  }
  return found;
}

async function planTree(repo: Repository, tree: Id, dir: Buffer, plan: RestorePlan, links: Map<string, Buffer>): Promise<void> {
  for (const node of await loadTree(repo, tree)) {
    assertSafeName(node.name);
    await planNode(repo, node, joinBytes(dir, node.name), plan, links);
  }
}

async function planNode(repo: Repository, node: TreeNode, path: Buffer, plan: RestorePlan, links: Map<string, Buffer>): Promise<void> {
  switch (node.type) {
    case 'dir':
      plan.dirs.push({ path, node });
      if (node.subtree === undefined) throw fail('INVALID_DATA', `directory ${path.toString()} has no subtree`);
      return planTree(repo, node.subtree, path, plan, links);
    case 'file':
      return planFile(repo, node, path, plan, links);
    case 'symlink':
      plan.symlinks.push({ path, node });
      return;
    default:
      plan.unsupported.push({ path, node });
  }
}

function planFile(repo: Repository, node: TreeNode, path: Buffer, plan: RestorePlan, links: Map<string, Buffer>): void {
  const linkKey = node.links !== undefined && node.links > 1n && node.inode !== undefined ? `${node.deviceId ?? 0n}:${node.inode}` : undefined;
  const existing = linkKey === undefined ? undefined : links.get(linkKey);
  if (existing !== undefined) {
    plan.hardlinks.push({ path, node, existing });
    return;
  }
  if (linkKey !== undefined) links.set(linkKey, path);
  const blobs: PlannedBlob[] = [];
  let offset = 0;
  for (const id of node.content ?? []) {
    const length = repo.index.plaintextSize('data', id);
    if (length === undefined) throw fail('NOT_FOUND', `data blob ${id.slice(0, 8)} of ${path.toString()} is not in the index`, { data: { blob: id } });
    blobs.push({ id, fileOffset: offset, length });
    offset += length;
  }
  plan.files.push({ path, node, size: offset, blobs });
  plan.totalBytes += offset;
}

/** A tree naming "..", "." or a path with "/" must never write outside the target. */
function assertSafeName(name: Buffer): void {
  const s = name.toString('latin1');
  if (s === '' || s === '.' || s === '..' || s.includes('/') || s.includes('\0')) throw fail('INVALID_DATA', `refusing to restore a node named ${JSON.stringify(name.toString())}`);
}
