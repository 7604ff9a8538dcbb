/**
 * Which blobs the snapshots still need (restic's FindUsedBlobs): every tree
 * reachable from a snapshot's root tree, and every data blob a file node of
 * those trees lists. Blobs are keyed by type and id, like restic's BlobHandle.
 */
import { mapLimit } from '../../common/concurrency.js';
import type { Id } from '../../common/ids.js';
import type { BlobType } from '../../format/pack.js';
import type { Repository } from '../../repository/repository.js';
import { loadTree } from '../snapshots.js';

/** "type:id", so one Set holds both blob types without mixing them up. */
export type BlobKey = string;

export function blobKey(type: BlobType, id: Id): BlobKey {
  return `${type}:${id}`;
}

const TREE_LOADS = 8;

/** Walks the trees level by level, loading up to 8 at once; each tree is loaded once. */
export async function findUsedBlobs(repo: Repository, rootTrees: readonly Id[], signal?: AbortSignal): Promise<Set<BlobKey>> {
  const used = new Set<BlobKey>();
  let level = unseenTrees(used, rootTrees);
  while (level.length > 0) {
    const next: Id[] = [];
    await mapLimit(level, TREE_LOADS, async (treeId) => {
      for (const node of await loadTree(repo, treeId, signal)) {
        for (const dataId of node.content ?? []) used.add(blobKey('data', dataId));
        if (node.subtree !== undefined) next.push(...unseenTrees(used, [node.subtree]));
      }
    });
    level = next;
  }
  return used;
}

/** Marks the trees used and returns those not seen before. */
function unseenTrees(used: Set<BlobKey>, ids: readonly Id[]): Id[] {
  const fresh: Id[] = [];
  for (const id of ids) {
    const key = blobKey('tree', id);
    if (used.has(key)) continue;
    used.add(key);
    fresh.push(id);
  }
  return fresh;
}
