/**
 * Migration 0001: the first catalog schema (DESIGN.md §3, §5). Written with
 * Kysely's schema builder in portable types only, so SQLite and PostgreSQL run
 * the very same steps. Never edit a migration that has shipped; add the next.
 */
import { sql, type Kysely } from 'kysely';

type Db = Kysely<unknown>;

async function tenants(db: Db): Promise<void> {
  await db.schema.createTable('tenants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('aliases', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createTable('tenant_aliases')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('tenant_aliases_pk', ['kind', 'value'])
    .execute();
  await db.schema.createIndex('tenant_aliases_tenant').on('tenant_aliases').column('tenant_id').execute();
}

async function credentials(db: Db): Promise<void> {
  await db.schema.createTable('credentials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('principal', 'text', (c) => c.notNull())
    .addColumn('lookup_id', 'text', (c) => c.notNull().unique())
    .addColumn('secret_hash', 'text')
    .addColumn('public_key_pem', 'text')
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('credentials_tenant').on('credentials').column('tenant_id').execute();
  await db.schema.createIndex('credentials_principal').on('credentials').columns(['kind', 'principal']).execute();
}

async function resources(db: Db): Promise<void> {
  await db.schema.createTable('resources')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('driver', 'text', (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('aliases', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('resources_tenant_name', ['tenant_id', 'name'])
    .execute();
  await db.schema.createTable('resource_aliases')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('resource_aliases_pk', ['tenant_id', 'key', 'value'])
    .execute();
  await db.schema.createIndex('resource_aliases_resource').on('resource_aliases').column('resource_id').execute();
}

async function backups(db: Db): Promise<void> {
  await db.schema.createTable('backups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('logical_bytes', 'bigint')
    .addColumn('stored_bytes', 'bigint')
    .addColumn('snapshot_ids', 'text', (c) => c.notNull())
    .addColumn('time_requested', 'text', (c) => c.notNull())
    .addColumn('time_imaged', 'text')
    .addColumn('time_available', 'text')
    .addColumn('expires_at', 'text')
    .addColumn('keep_forever', 'integer', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('parent_id', 'text')
    .addColumn('job_id', 'text')
    .addColumn('extra', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('backups_tenant_time').on('backups').columns(['tenant_id', 'time_requested', 'id']).execute();
  await db.schema.createIndex('backups_resource').on('backups').columns(['resource_id']).execute();
}

async function jobs(db: Db): Promise<void> {
  await db.schema.createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text')
    .addColumn('backup_id', 'text')
    .addColumn('mutating', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('progress', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('run_after', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('cancel_requested', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('jobs_tenant_created').on('jobs').columns(['tenant_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('jobs_runnable').on('jobs').columns(['state', 'created_at']).execute();
  // The one-mutating-job-per-resource rule (DESIGN.md §5) as a partial unique
  // index: race-free on both dialects, whatever the isolation level.
  await db.schema.createIndex('jobs_one_mutating_per_resource').unique().on('jobs').column('resource_id')
    .where(sql<boolean>`mutating = 1 and state in ('ACCEPTED', 'IN_PROGRESS')`)
    .execute();
}

async function repositoriesAndIdempotency(db: Db): Promise<void> {
  await db.schema.createTable('repositories')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().unique())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('password_ciphertext', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createTable('idempotency')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_pk', ['tenant_id', 'scope', 'key'])
    .execute();
  await db.schema.createIndex('idempotency_created').on('idempotency').column('created_at').execute();
}

export async function up(db: Db): Promise<void> {
  await tenants(db);
  await credentials(db);
  await resources(db);
  await backups(db);
  await jobs(db);
  await repositoriesAndIdempotency(db);
}

export async function down(db: Db): Promise<void> {
  for (const table of ['idempotency', 'repositories', 'jobs', 'backups', 'resource_aliases', 'resources', 'credentials', 'tenant_aliases', 'tenants']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
