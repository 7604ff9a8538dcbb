/** Commands registered beside the core set (check, forget, prune). */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export const repoExtensions: ((ctx: CliContext, parent: Command) => void)[] = [];
