/** Repository rows: where a tenant's data lives and its password, encrypted by the caller. One per tenant. */
import type { Selectable } from 'kysely';
import type { StoreContext } from './context.js';
import { isoNow, uniquely } from './codec.js';
import type { RepositoryTable } from './schema.js';
import type { RepositoryRow, RepositoryStore } from './types.js';

function toRepository(row: Selectable<RepositoryTable>): RepositoryRow {
  return { id: row.id, tenantId: row.tenant_id, location: row.location, passwordCiphertext: row.password_ciphertext, createdAt: row.created_at };
}

export function createRepositoryStore({ db, clock }: StoreContext): RepositoryStore {
  return {
    async create(r) {
      const row = { id: r.id, tenant_id: r.tenantId, location: r.location, password_ciphertext: r.passwordCiphertext, created_at: isoNow(clock) };
      await uniquely(() => db.insertInto('repositories').values(row).execute(), 'this tenant already has a repository');
      return toRepository(row);
    },
    async getForTenant(tenantId) {
      const row = await db.selectFrom('repositories').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
      return row && toRepository(row);
    },
    async list() {
      return (await db.selectFrom('repositories').selectAll().orderBy('created_at').orderBy('id').execute()).map(toRepository);
    },
  };
}
