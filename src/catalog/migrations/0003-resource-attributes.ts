/**
 * Migration 0003: free attributes of a resource (JSON), for what is not an id
 * and so not unique, such as the OCI compartment a volume belongs to.
 */
import { sql, type Kysely } from 'kysely';

type Db = Kysely<unknown>;

export async function up(db: Db): Promise<void> {
  await db.schema.alterTable('resources').addColumn('attributes', 'text', (c) => c.notNull().defaultTo(sql`'{}'`)).execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.alterTable('resources').dropColumn('attributes').execute();
}
