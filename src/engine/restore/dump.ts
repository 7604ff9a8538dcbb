/** Writes one file of a snapshot to a stream, blob by blob, honouring backpressure. */
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { fail } from '../../common/errors.js';
import type { Repository } from '../../repository/repository.js';
import { findSnapshot } from '../snapshots.js';
import { findNode } from './plan.js';

export async function dumpFile(repo: Repository, snapshotRef: string, path: string, out: Writable): Promise<number> {
  const snap = await findSnapshot(repo, snapshotRef);
  await repo.loadIndex();
  const node = await findNode(repo, snap.snapshot.tree, path);
  if (node === undefined || node.type !== 'file') throw fail('INVALID_ARGUMENT', `${path} is not a file in snapshot ${snap.id.slice(0, 8)}`);
  let written = 0;
  for (const id of node.content ?? []) {
    const data = await repo.loadBlob('data', id);
    written += data.length;
    if (!out.write(data)) await once(out, 'drain');
  }
  return written;
}
