/** `holdfast repo ls SNAPSHOT [PATH]`: lists the nodes of a snapshot, recursively. */
import type { Command } from 'commander';
import type { Id } from '../../common/ids.js';
import { formatGoTime } from '../../format/gotime.js';
import type { TreeNode } from '../../format/tree.js';
import { findSnapshot, loadTree } from '../../engine/snapshots.js';
import { findNode } from '../../engine/restore/plan.js';
import { joinBytes } from '../../engine/fs-path.js';
import { withLock } from '../../repository/lock.js';
import type { Repository } from '../../repository/repository.js';
import type { CliContext } from '../context.js';
import { printJson } from '../output.js';
import { addRepoOptions, flagsOf, openRepo } from './common.js';

export function lsCommand(ctx: CliContext, parent: Command): void {
  addRepoOptions(parent.command('ls').description('list files in a snapshot').argument('<snapshot>').argument('[path]', 'only below this path', '/'))
    .option('-l, --long', 'show mode, owner, size and time')
    .action(async (ref: string, path: string, opts: { long?: boolean }, cmd: Command) => {
      const flags = flagsOf(cmd);
      const repo = await openRepo(ctx, flags);
      await withLock(repo, { exclusive: false }, async () => {
        const snap = await findSnapshot(repo, ref);
        await repo.loadIndex();
        const start = await findNode(repo, snap.snapshot.tree, path);
        const prefix = Buffer.from(path === '/' ? '' : `/${path.split('/').filter(Boolean).join('/')}`);
        const print = (p: Buffer, n: TreeNode): void => {
          if (flags.json === true) printJson(ctx.stdout, { path: p.toString(), name: n.name.toString(), type: n.type, size: n.type === 'file' ? (n.size ?? 0n) : undefined, mode: n.mode, mtime: formatGoTime(n.mtime), uid: n.uid, gid: n.gid });
          else ctx.stdout.write(Buffer.concat([Buffer.from(opts.long === true ? `${longLine(n)} ` : ''), p, Buffer.from('\n')]));
        };
        if (start !== undefined) print(prefix, start);
        const tree = start === undefined ? snap.snapshot.tree : start.subtree;
        if (tree !== undefined) await walk(repo, tree, prefix, print);
      });
    });
}

/** Paths stay bytes: names need not be UTF-8 and are printed as stored, as restic does. */
async function walk(repo: Repository, tree: Id, prefix: Buffer, print: (p: Buffer, n: TreeNode) => void): Promise<void> {
  for (const node of await loadTree(repo, tree)) {
    const p = joinBytes(prefix, node.name);
    print(p, node);
    if (node.type === 'dir' && node.subtree !== undefined) await walk(repo, node.subtree, p, print);
  }
}

function longLine(n: TreeNode): string {
  const perm = (n.mode ?? 0) & 0o777;
  const kind = n.type === 'dir' ? 'd' : n.type === 'symlink' ? 'L' : '-';
  const bits = [6, 3, 0].map((s) => ['r', 'w', 'x'].map((c, i) => ((perm >> (s + 2 - i)) & 1 ? c : '-')).join('')).join('');
  return `${kind}${bits} ${String(n.uid).padStart(5)} ${String(n.gid).padStart(5)} ${String(n.size ?? 0n).padStart(12)} ${formatGoTime(n.mtime).slice(0, 19).replace('T', ' ')}`;
}
