/**
 * Backups: one point-in-time copy of one resource (DESIGN.md §3), listed
 * newest first by (timeRequested, id) with a keyset cursor.
 */
import type { Selectable } from 'kysely';
import type { StoreContext } from './context.js';
import { fromBigInt, fromFlag, fromJson, toFlag, toJson, uniquely } from './codec.js';
import { keysetPage, type Keyset } from './pagination.js';
import type { BackupTable, BigIntColumn } from './schema.js';
import type { Backup, BackupPatch, BackupSource, BackupState, BackupStore, BackupType } from './types.js';

type Columns = Omit<BackupTable, 'id' | 'tenant_id'>;
type Field = keyof BackupPatch;

const NEWEST_FIRST: Keyset<Selectable<BackupTable>> = { columns: ['time_requested', 'id'], order: 'desc' };

/** Each patchable field: its column and how its value is written. */
const COLUMNS: { [F in Field]-?: [keyof Columns, (v: NonNullable<BackupPatch[F]> | null) => unknown] } = {
  resourceId: ['resource_id', (v) => v],
  name: ['name', (v) => v],
  description: ['description', (v) => v],
  type: ['type', (v) => v],
  source: ['source', (v) => v],
  state: ['state', (v) => v],
  logicalBytes: ['logical_bytes', (v) => v],
  storedBytes: ['stored_bytes', (v) => v],
  snapshotIds: ['snapshot_ids', (v) => toJson(v ?? [])],
  timeRequested: ['time_requested', (v) => v],
  timeImaged: ['time_imaged', (v) => v],
  timeAvailable: ['time_available', (v) => v],
  expiresAt: ['expires_at', (v) => v],
  keepForever: ['keep_forever', (v) => toFlag(v === true)],
  tags: ['tags', (v) => toJson(v ?? {})],
  parentId: ['parent_id', (v) => v],
  jobId: ['job_id', (v) => v],
  extra: ['extra', (v) => toJson(v ?? {})],
};

function toColumns(patch: BackupPatch): Partial<Columns> {
  const set: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(patch)) {
    const spec = COLUMNS[field as Field] as [string, (v: unknown) => unknown] | undefined;
    if (spec !== undefined && value !== undefined) set[spec[0]] = spec[1](value);
  }
  return set as Partial<Columns>;
}

function toBackup(row: Selectable<BackupTable>): Backup {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    resourceId: row.resource_id,
    name: row.name,
    description: row.description,
    type: row.type as BackupType,
    source: row.source as BackupSource,
    state: row.state as BackupState,
    logicalBytes: fromBigInt(row.logical_bytes),
    storedBytes: fromBigInt(row.stored_bytes),
    snapshotIds: fromJson<string[]>(row.snapshot_ids),
    timeRequested: row.time_requested,
    timeImaged: row.time_imaged,
    timeAvailable: row.time_available,
    expiresAt: row.expires_at,
    keepForever: fromFlag(row.keep_forever),
    tags: fromJson<Record<string, unknown>>(row.tags),
    parentId: row.parent_id,
    jobId: row.job_id,
    extra: fromJson<Record<string, unknown>>(row.extra),
  };
}

export function createBackupStore({ db }: StoreContext): BackupStore {
  const get = async (tenantId: string, id: string): Promise<Backup | undefined> => {
    const row = await db.selectFrom('backups').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    return row && toBackup(row);
  };
  return {
    async create(b) {
      const { id, tenantId, ...rest } = b;
      const row = { id, tenant_id: tenantId, ...toColumns(rest) } as BackupTable;
      await uniquely(() => db.insertInto('backups').values(row).execute(), `a backup with this id already exists: ${id}`);
      return (await get(tenantId, id)) as Backup;
    },
    get,
    async list(tenantId, filter, page) {
      const query = db.selectFrom('backups').selectAll().where('tenant_id', '=', tenantId)
        .$if(filter.resourceId !== undefined, (q) => q.where('resource_id', '=', filter.resourceId as string))
        .$if(filter.state !== undefined, (q) => q.where('state', '=', filter.state as string))
        .$if(filter.state === undefined && filter.hideDeleted === true, (q) => q.where('state', '!=', 'DELETED'))
        .$if(filter.type !== undefined, (q) => q.where('type', '=', filter.type as string))
        .$if(filter.source !== undefined, (q) => q.where('source', '=', filter.source as string));
      return keysetPage(query, NEWEST_FIRST, page, toBackup);
    },
    async update(tenantId, id, patch) {
      const set = toColumns(patch);
      if (Object.keys(set).length > 0) {
        await db.updateTable('backups').set(set).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
      }
      return get(tenantId, id);
    },
    async storedBytesTotal() {
      const row = await db.selectFrom('backups').select((eb) => eb.fn.sum<BigIntColumn | null>('stored_bytes').as('total'))
        .where('state', '=', 'AVAILABLE').executeTakeFirst();
      return fromBigInt(row?.total ?? null) ?? 0;
    },
  };
}
