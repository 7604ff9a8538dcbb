/** Commands registered beside the core set (check, forget, prune). */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { checkCommand } from './check.js';
import { forgetCommand } from './forget.js';
import { pruneCommand } from './prune.js';

export const repoExtensions: ((ctx: CliContext, parent: Command) => void)[] = [checkCommand, forgetCommand, pruneCommand];
