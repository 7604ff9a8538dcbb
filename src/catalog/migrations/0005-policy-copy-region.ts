/**
 * Migration 0005: the region a policy copies each of its backups to, once the
 * backup is AVAILABLE (OCI's destinationRegion); null for none.
 */
import type { Kysely } from 'kysely';

type Db = Kysely<unknown>;

export async function up(db: Db): Promise<void> {
  await db.schema.alterTable('policies').addColumn('copy_to_region', 'text').execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.alterTable('policies').dropColumn('copy_to_region').execute();
}
