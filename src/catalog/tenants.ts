/**
 * Tenants and their dialect aliases. Aliases live twice: as JSON on the
 * tenant row (what is read back) and one row each in tenant_aliases, whose
 * primary key (kind, value) makes lookups exact and aliases globally unique.
 */
import type { Selectable, Transaction } from 'kysely';
import type { StoreContext } from './context.js';
import { fromJson, isoNow, toJson, uniquely } from './codec.js';
import type { Database, TenantTable } from './schema.js';
import type { NewTenant, Tenant, TenantStore } from './types.js';

function toTenant(row: Selectable<TenantTable>): Tenant {
  return { id: row.id, name: row.name, aliases: fromJson<Record<string, string[]>>(row.aliases), createdAt: row.created_at };
}

function aliasRows(tenant: Pick<NewTenant, 'id' | 'aliases'>): { kind: string; value: string; tenant_id: string }[] {
  return Object.entries(tenant.aliases).flatMap(([kind, values]) => values.map((value) => ({ kind, value, tenant_id: tenant.id })));
}

/** Tables whose rows belong to a tenant and go with it; the order keeps no dangling reference visible mid-way. */
const OWNED_TABLES = ['idempotency', 'jobs', 'backups', 'credentials', 'repositories', 'tenant_aliases'] as const;

/** True when the tenant still owns something a user made: resources, live backups, unfinished jobs. */
async function hasContents(trx: Transaction<Database>, id: string): Promise<boolean> {
  const resource = await trx.selectFrom('resources').select('id').where('tenant_id', '=', id).executeTakeFirst();
  const backup = await trx.selectFrom('backups').select('id').where('tenant_id', '=', id).where('state', '!=', 'DELETED').executeTakeFirst();
  const job = await trx.selectFrom('jobs').select('id').where('tenant_id', '=', id).where('state', 'in', ['ACCEPTED', 'IN_PROGRESS']).executeTakeFirst();
  return resource !== undefined || backup !== undefined || job !== undefined;
}

async function deleteIfEmpty(trx: Transaction<Database>, id: string): Promise<'deleted' | 'missing' | 'not-empty'> {
  const tenant = await trx.selectFrom('tenants').select('id').where('id', '=', id).executeTakeFirst();
  if (tenant === undefined) return 'missing';
  if (await hasContents(trx, id)) return 'not-empty';
  for (const table of OWNED_TABLES) await trx.deleteFrom(table).where('tenant_id', '=', id).execute();
  await trx.deleteFrom('tenants').where('id', '=', id).execute();
  return 'deleted';
}

export function createTenantStore({ db, clock }: StoreContext): TenantStore {
  const byColumn = async (column: 'id' | 'name', value: string): Promise<Tenant | undefined> => {
    const row = await db.selectFrom('tenants').selectAll().where(column, '=', value).executeTakeFirst();
    return row && toTenant(row);
  };
  return {
    async create(tenant) {
      const row = { id: tenant.id, name: tenant.name, aliases: toJson(tenant.aliases), created_at: isoNow(clock) };
      await uniquely(() => db.transaction().execute(async (trx) => {
        await trx.insertInto('tenants').values(row).execute();
        const aliases = aliasRows(tenant);
        if (aliases.length > 0) await trx.insertInto('tenant_aliases').values(aliases).execute();
      }), `a tenant with this id, name or alias already exists: ${tenant.name}`);
      return toTenant(row);
    },
    get: (id) => byColumn('id', id),
    getByName: (name) => byColumn('name', name),
    async findByAlias(kind, value) {
      const row = await db.selectFrom('tenant_aliases').select('tenant_id').where('kind', '=', kind).where('value', '=', value).executeTakeFirst();
      return row && byColumn('id', row.tenant_id);
    },
    async list() {
      return (await db.selectFrom('tenants').selectAll().orderBy('name').execute()).map(toTenant);
    },
    async setAliases(id, aliases) {
      const updated = await uniquely(() => db.transaction().execute(async (trx) => {
        const result = await trx.updateTable('tenants').set({ aliases: toJson(aliases) }).where('id', '=', id).executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) return false;
        await trx.deleteFrom('tenant_aliases').where('tenant_id', '=', id).execute();
        const rows = aliasRows({ id, aliases });
        if (rows.length > 0) await trx.insertInto('tenant_aliases').values(rows).execute();
        return true;
      }), 'an alias is already taken by another tenant');
      return updated ? byColumn('id', id) : undefined;
    },
    deleteIfEmpty: (id) => db.transaction().execute((trx) => deleteIfEmpty(trx, id)),
  };
}
