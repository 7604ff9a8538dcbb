/**
 * The commands that talk to a running `holdfast serve` over its /v1 API (and
 * never open a catalog or repository themselves): resources, backup, backups,
 * restore, jobs. Answers the commands that hold subcommands.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { backupCommand, backupsCommand } from './backups.js';
import { jobsCommand } from './jobs.js';
import { resourcesCommand } from './resources.js';
import { restoreCommand } from './restore.js';

export function apiCommands(ctx: CliContext, program: Command): Command[] {
  const resources = resourcesCommand(ctx, program);
  backupCommand(ctx, program);
  const backups = backupsCommand(ctx, program);
  restoreCommand(ctx, program);
  const jobs = jobsCommand(ctx, program);
  return [resources, backups, jobs];
}
