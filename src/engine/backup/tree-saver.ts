/**
 * Builds the snapshot's trees. Each backup path keeps its absolute location:
 * the root tree holds its first component, and every directory on the way
 * down is stored with its real metadata (restic's layout). Inside a target,
 * directories are walked depth-first in name order, but nothing waits for a
 * directory to be finished: files go to the chunk pool, and each directory's
 * tree is written as soon as its entries are, so the pool never drains at a
 * directory boundary. Metadata calls are synchronous: a local lstat takes
 * microseconds, a round trip through the thread pool many times that.
 */
import { lstatSync, readdirSync, readlinkSync, type BigIntStats } from 'node:fs';
import { errorMessage, fail, isHoldfastError } from '../../common/errors.js';
import type { Id } from '../../common/ids.js';
import { encodeTree, sortNodes, type TreeNode } from '../../format/tree.js';
import type { BlobWriter } from '../../repository/blob-writer.js';
import type { Repository } from '../../repository/repository.js';
import { loadTree } from '../snapshots.js';
import { displayPath, joinBytes, splitAbsolute } from '../fs-path.js';
import type { Accounts } from './accounts.js';
import type { ChunkPool } from './chunk-pool.js';
import type { ExcludeMatcher } from './exclude.js';
import { nodeFromStat, unchangedSince } from './node-from-stat.js';
import type { ProgressTracker } from './progress.js';

export interface BackupCounts {
  readonly filesNew: number;
  readonly filesChanged: number;
  readonly filesUnmodified: number;
  readonly dirs: number;
  readonly treesWritten: number;
}

export interface SourceError {
  readonly path: string;
  readonly message: string;
}

export interface TreeSaverDeps {
  readonly repo: Repository;
  readonly writer: BlobWriter;
  readonly pool: ChunkPool;
  readonly progress: ProgressTracker;
  readonly excluded: ExcludeMatcher;
  readonly accounts: Accounts;
  readonly force: boolean;
  readonly signal?: AbortSignal;
}

export interface TreeSaver {
  saveTargets(paths: readonly string[], parentTree: Id | undefined): Promise<Id>;
  saveStream(filename: string, stream: AsyncIterable<Uint8Array>, time: bigint): Promise<Id>;
  counts(): BackupCounts;
  errors(): SourceError[];
}

/** A directory on the way to one or more targets, or a target itself. */
interface PathNode {
  readonly children: Map<string, PathNode>;
  target: boolean;
}

type ParentNodes = Map<string, TreeNode>;

export function createTreeSaver(d: TreeSaverDeps): TreeSaver {
  const counts = { filesNew: 0, filesChanged: 0, filesUnmodified: 0, dirs: 0, treesWritten: 0 };
  const errors: SourceError[] = [];

  const report = (path: Uint8Array, err: unknown): void => {
    errors.push({ path: displayPath(path), message: errorMessage(err) });
    d.progress.state.errors++;
  };

  const saveTree = async (nodes: TreeNode[]): Promise<Id> => {
    const bytes = encodeTree(sortNodes(nodes));
    const id = await d.writer.addBlob('tree', bytes);
    counts.treesWritten++;
    return id;
  };

  const parentNodes = async (tree: Id | undefined): Promise<ParentNodes> => {
    const map: ParentNodes = new Map();
    if (tree === undefined) return map;
    try {
      for (const n of await loadTree(d.repo, tree, d.signal)) map.set(n.name.toString('latin1'), n);
    } catch (err) {
      if (!isHoldfastError(err, 'NOT_FOUND')) throw err;
    }
    return map;
  };

  const statOrReport = (path: Buffer): BigIntStats | undefined => {
    try {
      return lstatSync(path, { bigint: true });
    } catch (err) {
      report(path, err);
      return undefined;
    }
  };

  /**
   * A file's content: reused from the parent when unchanged, else chunked by
   * the pool. Awaiting this waits for a free worker, not for the content.
   */
  const fileContent = async (path: Buffer, node: TreeNode, prev: TreeNode | undefined): Promise<{ node: Promise<TreeNode | undefined> }> => {
    if (!d.force && unchangedSince(prev, node) && prev!.content!.every((id) => d.writer.has('data', id))) {
      counts.filesUnmodified++;
      node.content = prev!.content;
      d.progress.state.filesDone++;
      d.progress.state.bytesDone += Number(node.size ?? 0n);
      return { node: Promise.resolve(node) };
    }
    if (prev === undefined) counts.filesNew++;
    else counts.filesChanged++;
    const { result } = await d.pool.submitFile(path, Number(node.size ?? 0n));
    return { node: handled(result.then((c) => {
      node.content = [...c.ids];
      node.size = BigInt(c.size);
      d.progress.state.filesDone++;
      return node;
    }, (err: unknown) => {
      if (!isHoldfastError(err, 'SOURCE_UNREADABLE')) throw err;
      report(path, err);
      return undefined;
    })) };
  };

  /** Wrapped so that awaiting the walk step does not also await the file's content or the subtree. */
  const entryNode = async (path: Buffer, name: Buffer, prev: TreeNode | undefined): Promise<{ node: Promise<TreeNode | undefined> } | undefined> => {
    const st = statOrReport(path);
    if (st === undefined) return undefined;
    const node = nodeFromStat(name, st, d.accounts);
    if (node.type === 'file') return fileContent(path, node, prev);
    if (node.type === 'dir') {
      const sub = await walkDir(path, prev?.type === 'dir' ? prev.subtree : undefined);
      if (sub === undefined) return undefined;
      return { node: handled(sub.tree.then((id) => (id === undefined ? undefined : Object.assign(node, { subtree: id })))) };
    }
    if (node.type === 'symlink') node.linktarget = readlinkSync(path, { encoding: 'buffer' });
    return { node: Promise.resolve(node) };
  };

  /** Walks one real directory; undefined when it cannot be read (reported). Its tree is written later. */
  const walkDir = async (path: Buffer, parentTree: Id | undefined): Promise<{ tree: Promise<Id | undefined> } | undefined> => {
    d.signal?.throwIfAborted();
    let names: Buffer[];
    try {
      names = readdirSync(path, { encoding: 'buffer' });
    } catch (err) {
      report(path, err);
      return undefined;
    }
    const prev = await parentNodes(parentTree);
    const pending: Promise<TreeNode | undefined>[] = [];
    for (const name of names.sort(Buffer.compare)) {
      const child = joinBytes(path, name);
      if (d.excluded(child.toString())) continue;
      const entry = await entryNode(child, name, prev.get(name.toString('latin1')));
      if (entry !== undefined) pending.push(entry.node);
    }
    return { tree: handled(finishDir(pending)) };
  };

  const finishDir = async (pending: Promise<TreeNode | undefined>[]): Promise<Id> => {
    const nodes = (await Promise.all(pending)).filter((n): n is TreeNode => n !== undefined);
    counts.dirs++;
    d.progress.state.dirsDone++;
    d.progress.changed();
    return saveTree(nodes);
  };

  const saveDir = async (path: Buffer, parentTree: Id | undefined): Promise<Id | undefined> => (await walkDir(path, parentTree))?.tree;

  /** Saves the directories leading to the targets, then the targets. */
  const savePathNode = async (path: string, pn: PathNode, parentTree: Id | undefined): Promise<Id> => {
    const prev = await parentNodes(parentTree);
    const nodes: TreeNode[] = [];
    for (const [name, child] of pn.children) {
      const childPath = Buffer.from(path === '/' ? `/${name}` : `${path}/${name}`);
      const before = prev.get(Buffer.from(name).toString('latin1'));
      const node = child.target ? await targetNode(childPath, Buffer.from(name), before) : await viaNode(childPath, child, before);
      if (node !== undefined) nodes.push(node);
    }
    return saveTree(nodes);
  };

  const targetNode = async (path: Buffer, name: Buffer, prev: TreeNode | undefined): Promise<TreeNode | undefined> => {
    const st = statOrReport(path);
    if (st === undefined) return undefined;
    if (st.isBlockDevice()) return (await blockDeviceNode(path, name, st, prev)).node;
    return (await entryNode(path, name, prev))?.node;
  };

  /**
   * A block device named as a target is backed up as its content, stored as a
   * regular file. Its lstat size is 0, so the parent's node never matches and
   * the device is always re-read: its mtime says nothing about its blocks.
   */
  const blockDeviceNode = (path: Buffer, name: Buffer, st: BigIntStats, prev: TreeNode | undefined): Promise<{ node: Promise<TreeNode | undefined> }> => {
    const node = nodeFromStat(name, st, d.accounts);
    node.type = 'file';
    node.mode = (node.mode ?? 0) & 0o777;
    delete node.device;
    node.content = [];
    return fileContent(path, node, prev);
  };

  const viaNode = async (path: Buffer, pn: PathNode, prev: TreeNode | undefined): Promise<TreeNode | undefined> => {
    const st = statOrReport(path);
    if (st === undefined) return undefined;
    if (!st.isDirectory()) throw fail('INVALID_ARGUMENT', `${displayPath(path)} is not a directory`);
    const node = nodeFromStat(Buffer.from(splitAbsolute(path.toString()).at(-1) ?? ''), st, d.accounts);
    node.subtree = await savePathNode(path.toString(), pn, prev?.type === 'dir' ? prev.subtree : undefined);
    return node;
  };

  return {
    async saveTargets(paths, parentTree) {
      if (paths.includes('/')) return (await saveDir(Buffer.from('/'), parentTree)) ?? saveTree([]);
      return savePathNode('/', buildPathTree(paths), parentTree);
    },
    async saveStream(filename, stream, time) {
      const stored = await d.pool.storeStream(stream);
      counts.filesNew++;
      d.progress.state.filesDone++;
      const node: TreeNode = {
        name: Buffer.from(filename), type: 'file', mode: 0o644, mtime: time, atime: time, ctime: time,
        uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, size: BigInt(stored.size), content: [...stored.ids],
      };
      return saveTree([node]);
    },
    counts: () => ({ ...counts }),
    errors: () => [...errors],
  };
}

/**
 * Marks a promise as handled now (its rejection is still seen by whoever
 * awaits it later), so a failure before the directory is finished cannot
 * crash the process as an unhandled rejection.
 */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

function buildPathTree(paths: readonly string[]): PathNode {
  const root: PathNode = { children: new Map(), target: false };
  for (const p of paths) {
    let at = root;
    for (const part of splitAbsolute(p)) {
      if (at.target) break;
      let next = at.children.get(part);
      if (next === undefined) at.children.set(part, (next = { children: new Map(), target: false }));
      at = next;
    }
    at.target = true;
    at.children.clear();
  }
  return root;
}
