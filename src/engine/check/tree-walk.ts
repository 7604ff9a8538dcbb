/**
 * The structure step of a check: walk every tree reachable from every
 * snapshot, each tree once, checking that it is indexed, loads, decodes and is
 * well formed (restic checker.checkTree), and that every file's data blobs are
 * in the index. Who uses what is recorded on the way, so damage found now or
 * later can name the snapshots it hurts.
 */
import { errorMessage, isHoldfastError } from '../../common/errors.js';
import type { Id } from '../../common/ids.js';
import type { CallOptions } from '../../backend/backend.js';
import { compareNames, decodeTree, type TreeNode } from '../../format/tree.js';
import type { Repository } from '../../repository/repository.js';
import { displayPath, joinBytes } from '../fs-path.js';
import type { CheckProblem } from './problems.js';
import type { UsageGraph } from './usage.js';

/** Trees loaded at once: enough to hide storage latency, few enough to keep memory flat. */
const TREE_LOADS = 8;

export interface SnapshotRoot {
  readonly id: Id;
  readonly tree: Id;
}

interface TreeJob {
  readonly tree: Id;
  /** Path of the directory this tree describes, as the walk first met it. */
  readonly path: Buffer;
}

export async function walkTrees(repo: Repository, roots: readonly SnapshotRoot[], graph: UsageGraph, call: CallOptions): Promise<CheckProblem[]> {
  const findings = new TreeFindings();
  const visited = new Set<Id>();
  const start: TreeJob[] = [];
  for (const r of roots) {
    graph.addRoot(r.tree, r.id);
    if (!visited.has(r.tree)) start.push({ tree: r.tree, path: Buffer.alloc(0) });
    visited.add(r.tree);
  }
  await drain(start, TREE_LOADS, async (job, push) => {
    for (const node of await loadCheckedTree(repo, job.tree, graph, findings, call)) {
      if (node.type === 'file') checkContent(repo, node, job, graph, findings);
      if (node.type !== 'dir' || node.subtree === undefined) continue;
      graph.addEdge(job.tree, node.subtree);
      if (!visited.has(node.subtree)) push({ tree: node.subtree, path: joinBytes(job.path, node.name) });
      visited.add(node.subtree);
    }
  });
  return findings.problems(graph);
}

/** The tree's nodes, or [] when it cannot be loaded; every problem found is noted. */
async function loadCheckedTree(repo: Repository, tree: Id, graph: UsageGraph, findings: TreeFindings, call: CallOptions): Promise<TreeNode[]> {
  const loc = repo.index.lookup('tree', tree);
  if (loc === undefined) {
    findings.tree('tree-missing', tree, 'not found in index');
    return [];
  }
  graph.usePack(loc.packId, tree);
  let nodes: TreeNode[];
  try {
    nodes = decodeTree(await repo.loadBlob('tree', tree, call));
  } catch (err) {
    if (isHoldfastError(err, 'CANCELED')) throw err;
    findings.tree('tree-damaged', tree, errorMessage(err));
    return [];
  }
  const issues = nodeIssues(nodes);
  if (issues.length > 0) findings.tree('tree-damaged', tree, issues.join('; '));
  return nodes;
}

function checkContent(repo: Repository, node: TreeNode, job: TreeJob, graph: UsageGraph, findings: TreeFindings): void {
  for (const blob of node.content ?? []) {
    const loc = repo.index.lookup('data', blob);
    if (loc === undefined) findings.blobMissing(blob, displayPath(joinBytes(job.path, node.name)), job.tree);
    else graph.usePack(loc.packId, job.tree);
  }
}

/** restic's checkTree rules, plus the sort order newer restic versions insist on. */
function nodeIssues(nodes: readonly TreeNode[]): string[] {
  const issues: string[] = [];
  nodes.forEach((n, i) => {
    const name = (): string => JSON.stringify(displayPath(n.name));
    const prev = nodes[i - 1];
    if (n.name.length === 0) issues.push('node with empty name');
    if (prev !== undefined && compareNames(prev.name, n.name) >= 0) issues.push(`node ${name()} is out of order or a duplicate`);
    if (n.type === 'file' && n.content === null) issues.push(`file ${name()} has nil blob list`);
    if (n.type === 'dir' && n.subtree === undefined) issues.push(`dir node ${name()} has no subtree`);
    if (n.type === 'irregular') issues.push(`node ${name()} with invalid type "irregular"`);
  });
  return issues;
}

/** Problems keyed by tree and blob, so each is reported once with every snapshot it touches. */
class TreeFindings {
  readonly #trees = new Map<Id, { kind: 'tree-missing' | 'tree-damaged'; messages: string[] }>();
  readonly #blobs = new Map<Id, { path: string; trees: Set<Id> }>();

  tree(kind: 'tree-missing' | 'tree-damaged', tree: Id, message: string): void {
    const known = this.#trees.get(tree);
    if (known === undefined) this.#trees.set(tree, { kind, messages: [message] });
    else known.messages.push(message);
  }

  blobMissing(blob: Id, path: string, tree: Id): void {
    const known = this.#blobs.get(blob);
    if (known === undefined) this.#blobs.set(blob, { path, trees: new Set([tree]) });
    else known.trees.add(tree);
  }

  /** Call after the walk: only then does the graph know every way to reach a tree. */
  problems(graph: UsageGraph): CheckProblem[] {
    const out: CheckProblem[] = [];
    for (const [tree, t] of this.#trees) {
      out.push({ kind: t.kind, tree, snapshots: [...graph.snapshotsOfTree(tree)], message: t.messages.join('; ') });
    }
    for (const [blob, b] of this.#blobs) {
      const snapshots = new Set<Id>();
      for (const tree of b.trees) for (const s of graph.snapshotsOfTree(tree)) snapshots.add(s);
      out.push({ kind: 'blob-missing', blob, path: b.path, snapshots: [...snapshots] });
    }
    return out;
  }
}

/** Runs fn over a work list that fn itself extends, at most `limit` at a time, depth first. */
function drain<T>(start: readonly T[], limit: number, fn: (item: T, push: (item: T) => void) => Promise<void>): Promise<void> {
  const queue = [...start].reverse();
  let active = 0;
  let failed = false;
  return new Promise((resolve, reject) => {
    const pump = (): void => {
      if (failed) return;
      if (queue.length === 0 && active === 0) return resolve();
      while (active < limit && queue.length > 0) {
        active++;
        fn(queue.pop()!, (item) => queue.push(item)).then(
          () => { active--; pump(); },
          (err: unknown) => { failed = true; reject(err); },
        );
      }
    };
    pump();
  });
}
