/**
 * Migration 0004: free attributes of a policy (JSON), for what a dialect keeps
 * beside the schedule, such as the OCI volume backup policy a policy row is
 * one schedule of (its display name, compartment, tags and assignments).
 */
import { sql, type Kysely } from 'kysely';

type Db = Kysely<unknown>;

export async function up(db: Db): Promise<void> {
  await db.schema.alterTable('policies').addColumn('attributes', 'text', (c) => c.notNull().defaultTo(sql`'{}'`)).execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.alterTable('policies').dropColumn('attributes').execute();
}
