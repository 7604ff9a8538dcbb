/**
 * Backup policies: a cron schedule over some of a tenant's resources and the
 * retention rules for the backups it makes (DESIGN.md §3). Several servers on
 * one catalog share the schedule through next_run_at: a tick belongs to the
 * server whose conditional UPDATE moved it first (claimRun).
 */
import type { Selectable } from 'kysely';
import type { StoreContext } from './context.js';
import { fromJson, isoNow, toJson, uniquely } from './codec.js';
import type { PolicyTable } from './schema.js';
import type { BackupType, Policy, PolicyPatch, PolicyStore, RetentionRules } from './types.js';

function toPolicy(row: Selectable<PolicyTable>): Policy {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    resourceIds: fromJson<string[]>(row.resource_ids),
    schedule: row.schedule,
    timezone: row.timezone,
    backupType: row.backup_type as BackupType,
    retention: fromJson<RetentionRules>(row.retention),
    attributes: fromJson<Record<string, unknown>>(row.attributes),
    copyToRegion: row.copy_to_region,
    nextRunAt: row.next_run_at,
    lastRunAt: row.last_run_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function patchColumns(patch: PolicyPatch, now: string): Partial<PolicyTable> {
  const set: Partial<PolicyTable> = { updated_at: now };
  if (patch.resourceIds !== undefined) set.resource_ids = toJson(patch.resourceIds);
  if (patch.schedule !== undefined) set.schedule = patch.schedule;
  if (patch.timezone !== undefined) set.timezone = patch.timezone;
  if (patch.backupType !== undefined) set.backup_type = patch.backupType;
  if (patch.retention !== undefined) set.retention = toJson(patch.retention);
  if (patch.attributes !== undefined) set.attributes = toJson(patch.attributes);
  if (patch.copyToRegion !== undefined) set.copy_to_region = patch.copyToRegion;
  if (patch.nextRunAt !== undefined) set.next_run_at = patch.nextRunAt;
  return set;
}

export function createPolicyStore({ db, clock }: StoreContext): PolicyStore {
  const get = async (tenantId: string, id: string): Promise<Policy | undefined> => {
    const row = await db.selectFrom('policies').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    return row && toPolicy(row);
  };
  return {
    async create(p) {
      const now = isoNow(clock);
      const row: PolicyTable = {
        id: p.id, tenant_id: p.tenantId, name: p.name, resource_ids: toJson(p.resourceIds), schedule: p.schedule, timezone: p.timezone,
        backup_type: p.backupType, retention: toJson(p.retention), attributes: toJson(p.attributes ?? {}), copy_to_region: p.copyToRegion ?? null, next_run_at: p.nextRunAt, last_run_at: null, created_at: now, updated_at: now,
      };
      await uniquely(() => db.insertInto('policies').values(row).execute(), `a policy with this id or name already exists: ${p.name}`);
      return toPolicy(row);
    },
    get,
    async getByName(tenantId, name) {
      const row = await db.selectFrom('policies').selectAll().where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirst();
      return row && toPolicy(row);
    },
    async list(tenantId) {
      return (await db.selectFrom('policies').selectAll().where('tenant_id', '=', tenantId).orderBy('name').execute()).map(toPolicy);
    },
    async listAll() {
      return (await db.selectFrom('policies').selectAll().orderBy('tenant_id').orderBy('name').execute()).map(toPolicy);
    },
    async update(tenantId, id, patch) {
      const result = await db.updateTable('policies').set(patchColumns(patch, isoNow(clock)))
        .where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
      return Number(result.numUpdatedRows) === 0 ? undefined : get(tenantId, id);
    },
    async delete(tenantId, id) {
      const result = await db.deleteFrom('policies').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async claimRun(id, expected, next, fired) {
      const result = await db.updateTable('policies')
        .set({ next_run_at: next, ...(fired ? { last_run_at: isoNow(clock) } : {}) })
        .where('id', '=', id)
        .where((eb) => (expected === null ? eb('next_run_at', 'is', null) : eb('next_run_at', '=', expected)))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}
