/**
 * The numbered migrations, in order. Kysely's Migrator records which ran (in
 * its own tables, under its own lock), so running them on every open is a
 * no-op once the catalog is current.
 */
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { fail } from '../../common/errors.js';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-policies.js';
import * as m0003 from './0003-resource-attributes.js';
import * as m0004 from './0004-policy-attributes.js';
import * as m0005 from './0005-policy-copy-region.js';

const MIGRATIONS: Readonly<Record<string, Migration>> = Object.freeze({
  '0001-initial': m0001,
  '0002-policies': m0002,
  '0003-resource-attributes': m0003,
  '0004-policy-attributes': m0004,
  '0005-policy-copy-region': m0005,
});

const provider: MigrationProvider = { getMigrations: async () => ({ ...MIGRATIONS }) };

/** Brings the schema to the latest migration; throws INTERNAL naming the one that failed. */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error === undefined) return;
  const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
  throw fail('INTERNAL', `catalog migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
