/**
 * What a repository check can find, one tagged record per problem (restic
 * internal/checker's PackError, TreeError and Error, as data). Every id is
 * the full 64-hex id, so a report can be acted on without a second lookup.
 * Problems about stored data name the snapshots that use it: those are the
 * snapshots that can no longer be restored in full.
 */
import type { Id } from '../../common/ids.js';

export type CheckProblem =
  /** The index lists the pack, storage does not have it. */
  | { kind: 'pack-missing'; pack: Id; snapshots: Id[] }
  /** Storage has the pack, no index lists it: a hint, not an error (an interrupted backup leaves these; prune removes them). */
  | { kind: 'pack-unreferenced'; pack: Id }
  | { kind: 'pack-size'; pack: Id; expected: number; actual: number; snapshots: Id[] }
  /** Hash mismatch, header unreadable, header ≠ index, a blob fails to decrypt or verify, or the index has gaps. */
  | { kind: 'pack-damaged'; pack: Id; message: string; snapshots: Id[] }
  | { kind: 'index-damaged'; index: Id; message: string }
  | { kind: 'snapshot-damaged'; snapshot: Id; message: string }
  | { kind: 'tree-missing' | 'tree-damaged'; tree: Id; snapshots: Id[]; message: string }
  /** A file's data blob is in no index. `path` is where the walk met it first. */
  | { kind: 'blob-missing'; blob: Id; path: string; snapshots: Id[] };

export type CheckProblemKind = CheckProblem['kind'];

/** Report order: the order in which restic's check finds things. */
const KIND_ORDER: readonly CheckProblemKind[] = [
  'index-damaged', 'pack-missing', 'pack-size', 'pack-damaged', 'pack-unreferenced',
  'snapshot-damaged', 'tree-missing', 'tree-damaged', 'blob-missing',
];

/** The id a problem is about (pack, index, snapshot, tree or blob). */
export function subjectOf(p: CheckProblem): Id {
  switch (p.kind) {
    case 'pack-missing': case 'pack-unreferenced': case 'pack-size': case 'pack-damaged': return p.pack;
    case 'index-damaged': return p.index;
    case 'snapshot-damaged': return p.snapshot;
    case 'tree-missing': case 'tree-damaged': return p.tree;
    case 'blob-missing': return p.blob;
  }
}

export function compareProblems(a: CheckProblem, b: CheckProblem): number {
  const byKind = KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind);
  return byKind !== 0 ? byKind : subjectOf(a).localeCompare(subjectOf(b));
}

/** Snapshots the problem makes unrestorable (in part), if it is about stored data. */
export function snapshotsOf(p: CheckProblem): readonly Id[] {
  if (p.kind === 'snapshot-damaged') return [p.snapshot];
  return 'snapshots' in p ? p.snapshots : [];
}
