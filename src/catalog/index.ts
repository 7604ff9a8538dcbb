/**
 * The persistent catalog (DESIGN.md §2 catalog/, §3, §5): Kysely over
 * better-sqlite3 (embedded default) or pg, numbered migrations that run on
 * both, and one store per aggregate.
 *
 * Glossary: a *store* is the query surface for one table family; a *cursor*
 * is an opaque keyset position returned as `next`; a *lease* is a runner's
 * time-limited claim on a job.
 */
export { openCatalog } from './catalog.js';
export type * from './types.js';
