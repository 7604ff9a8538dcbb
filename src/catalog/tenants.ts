/**
 * Tenants and their dialect aliases. Aliases live twice: as JSON on the
 * tenant row (what is read back) and one row each in tenant_aliases, whose
 * primary key (kind, value) makes lookups exact and aliases globally unique.
 */
import type { Selectable } from 'kysely';
import type { StoreContext } from './context.js';
import { fromJson, isoNow, toJson, uniquely } from './codec.js';
import type { TenantTable } from './schema.js';
import type { NewTenant, Tenant, TenantStore } from './types.js';

function toTenant(row: Selectable<TenantTable>): Tenant {
  return { id: row.id, name: row.name, aliases: fromJson<Record<string, string[]>>(row.aliases), createdAt: row.created_at };
}

function aliasRows(tenant: NewTenant): { kind: string; value: string; tenant_id: string }[] {
  return Object.entries(tenant.aliases).flatMap(([kind, values]) => values.map((value) => ({ kind, value, tenant_id: tenant.id })));
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
  };
}
