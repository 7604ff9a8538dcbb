/** Options every `holdfast repo` command shares, and opening the repository they name. */
import type { Command } from 'commander';
import { fail } from '../../common/errors.js';
import { localBackend } from '../../backend/local.js';
import type { Backend } from '../../backend/backend.js';
import { openRepository } from '../../repository/open.js';
import { createRepository, type Repository } from '../../repository/repository.js';
import type { CliContext } from '../context.js';

export interface RepoFlags {
  readonly repo?: string;
  readonly passwordFile?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

export function addRepoOptions(cmd: Command): Command {
  return cmd
    .option('-r, --repo <path>', 'repository location (env HOLDFAST_REPOSITORY)')
    .option('--password-file <file>', 'read the repository password from a file (env HOLDFAST_PASSWORD holds it directly)')
    .option('--json', 'print machine-readable JSON')
    .option('-q, --quiet', 'print only errors');
}

export function flagsOf(cmd: Command): RepoFlags {
  return cmd.optsWithGlobals<RepoFlags>();
}

export function repoBackend(ctx: CliContext, flags: RepoFlags): Backend {
  const location = flags.repo ?? ctx.settings.repository;
  if (location === undefined || location === '') throw fail('INVALID_ARGUMENT', 'no repository given: use -r/--repo or set HOLDFAST_REPOSITORY');
  return localBackend(location);
}

/** restic's rules: a password file is trimmed of surrounding white space; an empty password is refused. */
export async function readPassword(ctx: CliContext, flags: RepoFlags): Promise<string> {
  const file = flags.passwordFile ?? ctx.settings.passwordFile;
  const password = file !== undefined ? (await ctx.readFile(file)).trim() : ctx.settings.password;
  if (password === undefined || password === '') {
    throw fail('INVALID_ARGUMENT', 'no password given: use --password-file or set HOLDFAST_PASSWORD');
  }
  return password;
}

export async function openRepo(ctx: CliContext, flags: RepoFlags): Promise<Repository> {
  const backend = repoBackend(ctx, flags);
  const password = await readPassword(ctx, flags);
  return createRepository(await openRepository(backend, password), ctx.repoEnv);
}

export { say } from '../output.js';
