/**
 * Migration 0002: backup policies (DESIGN.md §3 Policy: a cron schedule and
 * retention rules) and the marker table that records which objects the
 * config file declared, so a later config can remove what it no longer
 * declares while objects made through the API are left alone.
 */
import type { Kysely } from 'kysely';

type Db = Kysely<unknown>;

export async function up(db: Db): Promise<void> {
  await db.schema.createTable('policies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('resource_ids', 'text', (c) => c.notNull())
    .addColumn('schedule', 'text', (c) => c.notNull())
    .addColumn('timezone', 'text', (c) => c.notNull())
    .addColumn('backup_type', 'text', (c) => c.notNull())
    .addColumn('retention', 'text', (c) => c.notNull())
    // The next tick no server has fired yet; servers claim a tick by moving it with a conditional UPDATE.
    .addColumn('next_run_at', 'text')
    .addColumn('last_run_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('policies_tenant_name', ['tenant_id', 'name'])
    .execute();
  await db.schema.createTable('config_declared')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('object_id', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('config_declared_pk', ['kind', 'object_id'])
    .execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('config_declared').ifExists().execute();
  await db.schema.dropTable('policies').ifExists().execute();
}
