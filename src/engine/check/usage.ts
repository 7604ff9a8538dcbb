/**
 * Who uses what, recorded while the trees are walked (each tree once) and
 * asked only when something turns out damaged: which snapshots reach a tree,
 * and which trees use a pack (for their own blob or their files' blobs).
 * Keeping pack ids per tree instead of blob ids per snapshot keeps this small:
 * a tree's files usually sit in a handful of packs.
 */
import type { Id } from '../../common/ids.js';

export interface UsageGraph {
  /** `tree` is the root tree of `snapshot`. */
  addRoot(tree: Id, snapshot: Id): void;
  /** `child` is a subtree of a node in `parent`. */
  addEdge(parent: Id, child: Id): void;
  /** `tree` (or a file in it) needs a blob stored in `pack`. */
  usePack(pack: Id, tree: Id): void;
  /** Ask only once the walk is complete: answers are memoized. */
  snapshotsOfTree(tree: Id): ReadonlySet<Id>;
  snapshotsOfPack(pack: Id): Set<Id>;
}

export function createUsageGraph(): UsageGraph {
  const roots = new Map<Id, Id[]>();
  const parents = new Map<Id, Set<Id>>();
  const packUsers = new Map<Id, Set<Id>>();
  const memo = new Map<Id, ReadonlySet<Id>>();
  const inProgress = new Set<Id>();

  const snapshotsOfTree = (tree: Id): ReadonlySet<Id> => {
    const known = memo.get(tree);
    if (known !== undefined) return known;
    // Tree ids are content hashes, so cycles cannot occur in a sound repository; a forged one must not hang us.
    if (inProgress.has(tree)) return new Set();
    inProgress.add(tree);
    const found = new Set<Id>(roots.get(tree));
    for (const p of parents.get(tree) ?? []) for (const s of snapshotsOfTree(p)) found.add(s);
    inProgress.delete(tree);
    memo.set(tree, found);
    return found;
  };

  return {
    addRoot: (tree, snapshot) => addTo(roots, tree, snapshot),
    addEdge: (parent, child) => addToSet(parents, child, parent),
    usePack: (pack, tree) => addToSet(packUsers, pack, tree),
    snapshotsOfTree,
    snapshotsOfPack(pack) {
      const found = new Set<Id>();
      for (const tree of packUsers.get(pack) ?? []) for (const s of snapshotsOfTree(tree)) found.add(s);
      return found;
    },
  };
}

function addTo(map: Map<Id, Id[]>, key: Id, value: Id): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function addToSet(map: Map<Id, Set<Id>>, key: Id, value: Id): void {
  const set = map.get(key);
  if (set === undefined) map.set(key, new Set([value]));
  else set.add(value);
}
