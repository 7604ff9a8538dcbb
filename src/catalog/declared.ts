/**
 * What the config file declared: one marker row per tenant, credential,
 * resource or policy it created or adopted. Applying a new config removes the
 * marked objects it no longer declares and never touches unmarked ones (made
 * through the API). Also the two tenant writes the config needs that the
 * tenant store does not offer: replacing aliases and deleting an empty tenant.
 */
import type { StoreContext } from './context.js';
import { toJson, uniquely } from './codec.js';
import type { Declared, DeclaredKind, DeclaredStore } from './types.js';

export function createDeclaredStore({ db }: StoreContext): DeclaredStore {
  return {
    async list() {
      const rows = await db.selectFrom('config_declared').selectAll().orderBy('kind').orderBy('name').execute();
      return rows.map((r) => ({ kind: r.kind as DeclaredKind, objectId: r.object_id, tenantId: r.tenant_id, name: r.name }));
    },
    async mark(d: Declared) {
      await db.deleteFrom('config_declared').where('kind', '=', d.kind).where('object_id', '=', d.objectId).execute();
      await db.insertInto('config_declared').values({ kind: d.kind, object_id: d.objectId, tenant_id: d.tenantId, name: d.name }).execute();
    },
    async unmark(kind, objectId) {
      await db.deleteFrom('config_declared').where('kind', '=', kind).where('object_id', '=', objectId).execute();
    },
    async replaceTenantAliases(tenantId, aliases) {
      const rows = Object.entries(aliases).flatMap(([kind, values]) => values.map((value) => ({ kind, value, tenant_id: tenantId })));
      await uniquely(() => db.transaction().execute(async (trx) => {
        await trx.updateTable('tenants').set({ aliases: toJson(aliases) }).where('id', '=', tenantId).execute();
        await trx.deleteFrom('tenant_aliases').where('tenant_id', '=', tenantId).execute();
        if (rows.length > 0) await trx.insertInto('tenant_aliases').values(rows).execute();
      }), 'another tenant already has one of these aliases');
    },
    async tenantHoldsData(tenantId) {
      const [resource, backup, repository] = await Promise.all([
        db.selectFrom('resources').select('id').where('tenant_id', '=', tenantId).executeTakeFirst(),
        db.selectFrom('backups').select('id').where('tenant_id', '=', tenantId).where('state', '!=', 'DELETED').executeTakeFirst(),
        db.selectFrom('repositories').select('id').where('tenant_id', '=', tenantId).executeTakeFirst(),
      ]);
      return resource !== undefined || backup !== undefined || repository !== undefined;
    },
    async deleteTenant(tenantId) {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('credentials').where('tenant_id', '=', tenantId).execute();
        await trx.deleteFrom('tenant_aliases').where('tenant_id', '=', tenantId).execute();
        await trx.deleteFrom('tenants').where('id', '=', tenantId).execute();
      });
    },
  };
}
