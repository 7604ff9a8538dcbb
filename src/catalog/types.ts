/**
 * The catalog's row types and store contracts (DESIGN.md §3, §5). Ids are
 * strings the caller generates; times are ISO-8601 UTC strings taken from the
 * injected Clock; JSON-valued fields round-trip through text columns.
 *
 * Every tenant-scoped read takes a tenantId and answers undefined for a row of
 * another tenant: isolation is enforced here, not only in the layers above.
 */

export type Dialect = 'sqlite' | 'postgres';

/** A page of rows and, when more may follow, the cursor to pass as `after`. */
export interface Page<T> {
  readonly items: T[];
  readonly next?: string;
}

export interface PageRequest {
  readonly limit: number;
  readonly after?: string;
}

export interface Tenant {
  id: string;
  name: string;
  /** Dialect aliases, e.g. {identityDomain: ['acme', 'idcs-123'], ociTenancy: ['ocid1.tenancy…']}. */
  aliases: Record<string, string[]>;
  createdAt: string;
}
export type NewTenant = Omit<Tenant, 'createdAt'>;

export interface TenantStore {
  /** Throws ALREADY_EXISTS when the name or one of the aliases is taken. */
  create(tenant: NewTenant): Promise<Tenant>;
  get(id: string): Promise<Tenant | undefined>;
  getByName(name: string): Promise<Tenant | undefined>;
  findByAlias(kind: string, value: string): Promise<Tenant | undefined>;
  list(): Promise<Tenant[]>;
  /** Replaces all aliases; undefined for an unknown tenant, ALREADY_EXISTS when an alias belongs to another. */
  setAliases(id: string, aliases: Record<string, string[]>): Promise<Tenant | undefined>;
  /**
   * Deletes an empty tenant (no resources, no backups other than DELETED ones, no unfinished jobs) with its
   * aliases, credentials, repository row, jobs, deleted backups and idempotency records, in one transaction.
   */
  deleteIfEmpty(id: string): Promise<'deleted' | 'missing' | 'not-empty'>;
}

export type CredentialKind = 'token' | 'password' | 'api-key';
export type Role = 'admin' | 'member';

export interface Credential {
  id: string;
  tenantId: string;
  kind: CredentialKind;
  /** A user name, or an OCI key id. */
  principal: string;
  /** Globally unique, non-secret: a token's id prefix; for other kinds any unique value (e.g. the id). */
  lookupId: string;
  /** A hash computed by the caller; stored, never computed or returned elsewhere. */
  secretHash: string | null;
  publicKeyPem: string | null;
  role: Role;
  createdAt: string;
}
export type NewCredential = Omit<Credential, 'createdAt'>;

export interface CredentialStore {
  /** Throws ALREADY_EXISTS when the lookupId is taken. */
  create(credential: NewCredential): Promise<Credential>;
  listForTenant(tenantId: string): Promise<Credential[]>;
  /** Across tenants: a user name may exist in several, so every match is returned (oldest first). */
  findByPrincipal(kind: CredentialKind, principal: string): Promise<Credential[]>;
  findByLookupId(lookupId: string): Promise<Credential | undefined>;
  /** Tenant-scoped: undefined for another tenant's credential. */
  get(tenantId: string, id: string): Promise<Credential | undefined>;
  delete(id: string): Promise<boolean>;
}

export type ResourceKind = 'volume' | 'database' | 'application';

export interface Resource {
  id: string;
  tenantId: string;
  name: string;
  kind: ResourceKind;
  driver: string;
  config: unknown;
  /** Ids in each dialect, e.g. {ociVolumeId: 'ocid1.volume…'}; unique per tenant and key. */
  aliases: Record<string, string>;
  /** Free attributes that are not ids, e.g. the OCI compartment of a volume. */
  attributes: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}
export type NewResource = Omit<Resource, 'createdAt' | 'updatedAt' | 'attributes'> & { attributes?: Record<string, unknown> };
export interface ResourcePatch {
  name?: string;
  config?: unknown;
  aliases?: Record<string, string>;
  attributes?: Record<string, unknown>;
}

export interface ResourceStore {
  /** Throws ALREADY_EXISTS when the name (per tenant) or an alias is taken. */
  create(resource: NewResource): Promise<Resource>;
  get(tenantId: string, id: string): Promise<Resource | undefined>;
  /** Keyset pagination by id, ascending. */
  list(tenantId: string, page: PageRequest): Promise<Page<Resource>>;
  update(tenantId: string, id: string, patch: ResourcePatch): Promise<Resource | undefined>;
  delete(tenantId: string, id: string): Promise<boolean>;
  findByAlias(tenantId: string, key: string, value: string): Promise<Resource | undefined>;
}

export type BackupType = 'FULL' | 'INCREMENTAL';
export type BackupSource = 'MANUAL' | 'SCHEDULED';
export type BackupState = 'CREATING' | 'AVAILABLE' | 'FAILED' | 'DELETING' | 'DELETED';

export interface Backup {
  id: string;
  tenantId: string;
  resourceId: string;
  name: string;
  description: string;
  type: BackupType;
  source: BackupSource;
  state: BackupState;
  logicalBytes: number | null;
  storedBytes: number | null;
  snapshotIds: string[];
  timeRequested: string;
  timeImaged: string | null;
  timeAvailable: string | null;
  expiresAt: string | null;
  keepForever: boolean;
  tags: Record<string, unknown>;
  parentId: string | null;
  jobId: string | null;
  /** Per-dialect fields. */
  extra: Record<string, unknown>;
}
export type BackupPatch = Partial<Omit<Backup, 'id' | 'tenantId'>>;
export interface BackupFilter {
  resourceId?: string;
  state?: BackupState;
  type?: BackupType;
  source?: BackupSource;
  /** Leave DELETED backups out unless `state` asks for a state explicitly. */
  hideDeleted?: boolean;
}

export interface BackupStore {
  create(backup: Backup): Promise<Backup>;
  get(tenantId: string, id: string): Promise<Backup | undefined>;
  /** Newest first (timeRequested desc, id desc). */
  list(tenantId: string, filter: BackupFilter, page: PageRequest): Promise<Page<Backup>>;
  update(tenantId: string, id: string, patch: BackupPatch): Promise<Backup | undefined>;
  /** Sum of storedBytes over every tenant's AVAILABLE backups (for /metrics). */
  storedBytesTotal(): Promise<number>;
}

export type JobState = 'ACCEPTED' | 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'CANCELED';
export type JobEndState = 'SUCCEEDED' | 'FAILED' | 'CANCELED';

export interface JobProgress {
  percent: number;
  bytesDone: number;
  bytesTotal: number | null;
  filesDone: number;
  bytesPerSecond: number;
}

export interface JobError {
  code: string;
  message: string;
}

export interface Job {
  id: string;
  tenantId: string;
  /** 'backup' | 'restore' | 'delete' | … */
  kind: string;
  resourceId: string | null;
  backupId: string | null;
  mutating: boolean;
  state: JobState;
  params: unknown;
  progress: JobProgress;
  error: JobError | null;
  attempts: number;
  runAfter: string;
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
  cancelRequested: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** What create() needs; the rest starts at its initial value (ACCEPTED, no lease, zero progress). */
export type NewJob = Pick<Job, 'id' | 'tenantId' | 'kind' | 'resourceId' | 'backupId' | 'mutating' | 'params'> &
  Partial<Pick<Job, 'runAfter' | 'state'>>;

export interface JobFilter {
  state?: JobState;
  resourceId?: string;
  kind?: string;
}

export interface JobLease {
  id: string;
  owner: string;
}

export interface Heartbeat {
  held: boolean;
  cancelRequested: boolean;
}

export interface JobStore {
  /** Throws CONFLICT (data.jobId = the running one) if a mutating job of the same resource is ACCEPTED or IN_PROGRESS. */
  create(job: NewJob): Promise<Job>;
  /** Atomically takes the oldest runnable job (ACCEPTED and due, or IN_PROGRESS with an expired lease). */
  claim(owner: string, leaseMs: number): Promise<Job | undefined>;
  heartbeat(id: string, owner: string, progress: JobProgress, leaseMs: number): Promise<Heartbeat>;
  /** False when the owner no longer holds the lease. */
  finish(id: string, owner: string, state: JobEndState, error?: JobError): Promise<boolean>;
  /** Back to ACCEPTED, due at runAfter, with the error recorded and the lease cleared. */
  retryLater(id: string, owner: string, runAfter: string, error: JobError): Promise<boolean>;
  /** Back to ACCEPTED and due at once, lease cleared: the run was interrupted (server stopping, owner dead), not failed. */
  release(id: string, owner: string): Promise<boolean>;
  /** Every IN_PROGRESS job with its lease owner (few: one per running job of every runner). */
  leases(): Promise<JobLease[]>;
  /** ACCEPTED becomes CANCELED at once; IN_PROGRESS gets cancelRequested. A job ending FAILED or CANCELED fails the backup it was creating, in the same transaction. */
  requestCancel(tenantId: string, id: string): Promise<Job | undefined>;
  get(tenantId: string, id: string): Promise<Job | undefined>;
  /** Newest first (createdAt desc, id desc). */
  list(tenantId: string, filter: JobFilter, page: PageRequest): Promise<Page<Job>>;
  /** How many jobs, over every tenant, are in each state; every state is present (for /metrics). */
  countByState(): Promise<Record<JobState, number>>;
}

export interface RepositoryRow {
  id: string;
  tenantId: string;
  /** A path or an s3 URL. */
  location: string;
  /** Encrypted by the caller under the server's master key. */
  passwordCiphertext: string;
  createdAt: string;
}
export type NewRepositoryRow = Omit<RepositoryRow, 'createdAt'>;

export interface RepositoryStore {
  /** One repository per tenant: throws ALREADY_EXISTS for a second. */
  create(row: NewRepositoryRow): Promise<RepositoryRow>;
  getForTenant(tenantId: string): Promise<RepositoryRow | undefined>;
  list(): Promise<RepositoryRow[]>;
}

export interface IdempotencyRecord {
  requestHash: string;
  status: number;
  body: string;
  createdAt: string;
}
export type NewIdempotencyRecord = Omit<IdempotencyRecord, 'createdAt'>;

export interface IdempotencyStore {
  get(tenantId: string, scope: string, key: string): Promise<IdempotencyRecord | undefined>;
  /** First writer wins: answers the row now stored, which is an earlier one if it existed. */
  put(tenantId: string, scope: string, key: string, value: NewIdempotencyRecord): Promise<IdempotencyRecord>;
  /** Sets the answer of a record whose body is still `pendingBody` (a reservation); false if it is not. */
  complete(tenantId: string, scope: string, key: string, pendingBody: string, answer: { status: number; body: string }): Promise<boolean>;
  /** Deletes the record if its body is still `body` (a reservation given up); false if it was not. */
  release(tenantId: string, scope: string, key: string, body: string): Promise<boolean>;
  /** Removes records created before `iso`; answers how many. */
  purgeOlderThan(iso: string): Promise<number>;
}

/**
 * Retention rules of a policy. Counts follow restic's forget (-1 = unlimited);
 * keepWithin and expireAfter are restic durations such as "7d" or "1y6m".
 */
export interface RetentionRules {
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  keepWithin?: string;
  /** Each backup the policy makes expires this long after it was requested. */
  expireAfter?: string;
}

export interface Policy {
  id: string;
  tenantId: string;
  name: string;
  resourceIds: string[];
  /** A 5- or 6-field cron expression, read in `timezone`. */
  schedule: string;
  /** An IANA zone name; 'UTC' unless given. */
  timezone: string;
  backupType: BackupType;
  retention: RetentionRules;
  /** Free attributes a front end keeps with the policy, e.g. the OCI volume backup policy it is a schedule of. */
  attributes: Record<string, unknown>;
  /** A region each backup of this policy is copied to once AVAILABLE; null for none. */
  copyToRegion: string | null;
  /** The next tick not yet fired by any server; null until first computed. */
  nextRunAt: string | null;
  lastRunAt: string | null;
  createdAt: string;
  updatedAt: string;
}
export type NewPolicy = Omit<Policy, 'lastRunAt' | 'createdAt' | 'updatedAt' | 'attributes' | 'copyToRegion'> & { attributes?: Record<string, unknown>; copyToRegion?: string | null };
export type PolicyPatch = Partial<Pick<Policy, 'resourceIds' | 'schedule' | 'timezone' | 'backupType' | 'retention' | 'nextRunAt' | 'attributes' | 'copyToRegion'>>;

export interface PolicyStore {
  /** Throws ALREADY_EXISTS when the tenant already has a policy of this name. */
  create(policy: NewPolicy): Promise<Policy>;
  get(tenantId: string, id: string): Promise<Policy | undefined>;
  getByName(tenantId: string, name: string): Promise<Policy | undefined>;
  list(tenantId: string): Promise<Policy[]>;
  /** Every tenant's policies, for the scheduler. */
  listAll(): Promise<Policy[]>;
  update(tenantId: string, id: string, patch: PolicyPatch): Promise<Policy | undefined>;
  delete(tenantId: string, id: string): Promise<boolean>;
  /**
   * Moves nextRunAt from `expected` to `next` only if it still is `expected`:
   * of several servers sharing the catalog exactly one gets true for a tick.
   * `fired` also records the claim time as lastRunAt.
   */
  claimRun(id: string, expected: string | null, next: string, fired: boolean): Promise<boolean>;
}

export type DeclaredKind = 'tenant' | 'credential' | 'resource' | 'policy';

/** An object the config file declared; `name` is its name in the file (a credential's principal). */
export interface Declared {
  kind: DeclaredKind;
  objectId: string;
  tenantId: string;
  name: string;
}

export interface DeclaredStore {
  list(): Promise<Declared[]>;
  /** Records (or re-records) an object as declared by the config. */
  mark(declared: Declared): Promise<void>;
  unmark(kind: DeclaredKind, objectId: string): Promise<void>;
  /** Replaces a tenant's aliases; throws ALREADY_EXISTS when another tenant holds one. */
  replaceTenantAliases(tenantId: string, aliases: Record<string, string[]>): Promise<void>;
  /** True when the tenant still has resources, backups or a repository: data a config edit must not drop. */
  tenantHoldsData(tenantId: string): Promise<boolean>;
  /** Removes a tenant row with its aliases and remaining credentials. */
  deleteTenant(tenantId: string): Promise<void>;
}

/** The stores as seen inside a catalog transaction. */
export type CatalogStores = Omit<Catalog, 'close'>;

export interface Catalog {
  readonly dialect: Dialect;
  readonly tenants: TenantStore;
  readonly credentials: CredentialStore;
  readonly resources: ResourceStore;
  readonly backups: BackupStore;
  readonly jobs: JobStore;
  readonly repositories: RepositoryStore;
  readonly idempotency: IdempotencyStore;
  /** A trivial query: resolves when the database answers (for /readyz). */
  ping(): Promise<void>;
  readonly policies: PolicyStore;
  readonly declared: DeclaredStore;
  /**
   * Runs `work` in one catalog transaction: every store it is given writes
   * inside it, and a throw rolls all of it back. Nested calls join the outer one.
   */
  transaction<T>(work: (stores: CatalogStores) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
