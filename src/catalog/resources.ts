/**
 * Resources: what gets backed up (volume, database, application), with the
 * driver config and the ids other dialects know it by. Names are unique per
 * tenant; aliases are unique per (tenant, key, value) through resource_aliases.
 */
import type { Selectable, Transaction } from 'kysely';
import type { StoreContext } from './context.js';
import { fromJson, isoNow, toJson, uniquely } from './codec.js';
import { keysetPage, type Keyset } from './pagination.js';
import type { Database, ResourceTable } from './schema.js';
import type { Resource, ResourceKind, ResourcePatch, ResourceStore } from './types.js';

const BY_ID: Keyset<Selectable<ResourceTable>> = { columns: ['id'], order: 'asc' };

function toResource(row: Selectable<ResourceTable>): Resource {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    kind: row.kind as ResourceKind,
    driver: row.driver,
    config: fromJson<unknown>(row.config),
    aliases: fromJson<Record<string, string>>(row.aliases),
    attributes: fromJson<Record<string, unknown>>(row.attributes),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

async function writeAliases(trx: Transaction<Database>, tenantId: string, resourceId: string, aliases: Record<string, string>): Promise<void> {
  await trx.deleteFrom('resource_aliases').where('resource_id', '=', resourceId).execute();
  const rows = Object.entries(aliases).map(([key, value]) => ({ tenant_id: tenantId, key, value, resource_id: resourceId }));
  if (rows.length > 0) await trx.insertInto('resource_aliases').values(rows).execute();
}

function patchColumns(patch: ResourcePatch, updatedAt: string): Partial<ResourceTable> {
  const set: Partial<ResourceTable> = { updated_at: updatedAt };
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.config !== undefined) set.config = toJson(patch.config);
  if (patch.aliases !== undefined) set.aliases = toJson(patch.aliases);
  if (patch.attributes !== undefined) set.attributes = toJson(patch.attributes);
  return set;
}

export function createResourceStore({ db, clock }: StoreContext): ResourceStore {
  const get = async (tenantId: string, id: string): Promise<Resource | undefined> => {
    const row = await db.selectFrom('resources').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    return row && toResource(row);
  };
  return {
    async create(r) {
      const now = isoNow(clock);
      const row = {
        id: r.id, tenant_id: r.tenantId, name: r.name, kind: r.kind, driver: r.driver,
        config: toJson(r.config), aliases: toJson(r.aliases), attributes: toJson(r.attributes ?? {}), created_at: now, updated_at: now,
      };
      await uniquely(() => db.transaction().execute(async (trx) => {
        await trx.insertInto('resources').values(row).execute();
        await writeAliases(trx, r.tenantId, r.id, r.aliases);
      }), `a resource with this id, name or alias already exists: ${r.name}`);
      return toResource(row);
    },
    get,
    async list(tenantId, page) {
      return keysetPage(db.selectFrom('resources').selectAll().where('tenant_id', '=', tenantId), BY_ID, page, toResource);
    },
    async update(tenantId, id, patch) {
      const changed = await uniquely(() => db.transaction().execute(async (trx) => {
        const result = await trx.updateTable('resources').set(patchColumns(patch, isoNow(clock)))
          .where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) return false;
        if (patch.aliases !== undefined) await writeAliases(trx, tenantId, id, patch.aliases);
        return true;
      }), `a resource with this name or alias already exists${patch.name === undefined ? '' : `: ${patch.name}`}`);
      return changed ? get(tenantId, id) : undefined;
    },
    async delete(tenantId, id) {
      return db.transaction().execute(async (trx) => {
        const result = await trx.deleteFrom('resources').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
        if (Number(result.numDeletedRows) === 0) return false;
        await trx.deleteFrom('resource_aliases').where('resource_id', '=', id).execute();
        return true;
      });
    },
    async findByAlias(tenantId, key, value) {
      const row = await db.selectFrom('resource_aliases').select('resource_id')
        .where('tenant_id', '=', tenantId).where('key', '=', key).where('value', '=', value).executeTakeFirst();
      return row && get(tenantId, row.resource_id);
    },
  };
}
