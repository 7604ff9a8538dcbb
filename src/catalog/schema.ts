/**
 * The catalog's tables as Kysely sees them. Columns are portable across SQLite
 * and PostgreSQL: times are ISO-8601 text (which sorts like the instant),
 * booleans are 0/1 integers, JSON is text, byte counts are bigint (which `pg`
 * answers as a string, hence `number | string`).
 */

export type Flag = 0 | 1;
export type BigIntColumn = number | string;

export interface TenantTable {
  id: string;
  name: string;
  aliases: string;
  created_at: string;
}

/** One row per tenant alias; the unique (kind, value) makes alias lookups exact. */
export interface TenantAliasTable {
  kind: string;
  value: string;
  tenant_id: string;
}

export interface CredentialTable {
  id: string;
  tenant_id: string;
  kind: string;
  principal: string;
  lookup_id: string;
  secret_hash: string | null;
  public_key_pem: string | null;
  role: string;
  created_at: string;
}

export interface ResourceTable {
  id: string;
  tenant_id: string;
  name: string;
  kind: string;
  driver: string;
  config: string;
  aliases: string;
  /** JSON object (migration 0003). */
  attributes: string;
  created_at: string;
  updated_at: string;
}

export interface ResourceAliasTable {
  tenant_id: string;
  key: string;
  value: string;
  resource_id: string;
}

export interface BackupTable {
  id: string;
  tenant_id: string;
  resource_id: string;
  name: string;
  description: string;
  type: string;
  source: string;
  state: string;
  logical_bytes: BigIntColumn | null;
  stored_bytes: BigIntColumn | null;
  snapshot_ids: string;
  time_requested: string;
  time_imaged: string | null;
  time_available: string | null;
  expires_at: string | null;
  keep_forever: Flag;
  tags: string;
  parent_id: string | null;
  job_id: string | null;
  extra: string;
}

export interface JobTable {
  id: string;
  tenant_id: string;
  kind: string;
  resource_id: string | null;
  backup_id: string | null;
  mutating: Flag;
  state: string;
  params: string;
  progress: string;
  error: string | null;
  attempts: number;
  run_after: string;
  lease_owner: string | null;
  lease_expires_at: string | null;
  cancel_requested: Flag;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface RepositoryTable {
  id: string;
  tenant_id: string;
  location: string;
  password_ciphertext: string;
  created_at: string;
}

export interface IdempotencyTable {
  tenant_id: string;
  scope: string;
  key: string;
  request_hash: string;
  status: number;
  body: string;
  created_at: string;
}

/** A backup policy (migration 0002): a cron schedule over some resources of a tenant, with retention rules. */
export interface PolicyTable {
  id: string;
  tenant_id: string;
  name: string;
  resource_ids: string;
  schedule: string;
  timezone: string;
  backup_type: string;
  retention: string;
  /** Free attributes (JSON, migration 0004). */
  attributes: string;
  /** Migration 0005. */
  copy_to_region: string | null;
  next_run_at: string | null;
  last_run_at: string | null;
  created_at: string;
  updated_at: string;
}

/** Marks an object (tenant, credential, resource, policy) as declared by the config file (migration 0002). */
export interface DeclaredTable {
  kind: string;
  object_id: string;
  tenant_id: string;
  name: string;
}

export interface Database {
  tenants: TenantTable;
  tenant_aliases: TenantAliasTable;
  credentials: CredentialTable;
  resources: ResourceTable;
  resource_aliases: ResourceAliasTable;
  backups: BackupTable;
  jobs: JobTable;
  repositories: RepositoryTable;
  idempotency: IdempotencyTable;
  policies: PolicyTable;
  config_declared: DeclaredTable;
}
