/**
 * Credentials: passwords, API keys and bearer tokens. Secrets arrive already
 * hashed by the caller and are only stored; tokens are found by their
 * non-secret lookup id, then verified above against the stored hash.
 */
import type { Selectable } from 'kysely';
import type { StoreContext } from './context.js';
import { isoNow, uniquely } from './codec.js';
import type { CredentialTable } from './schema.js';
import type { Credential, CredentialKind, CredentialStore, Role } from './types.js';

function toCredential(row: Selectable<CredentialTable>): Credential {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    kind: row.kind as CredentialKind,
    principal: row.principal,
    lookupId: row.lookup_id,
    secretHash: row.secret_hash,
    publicKeyPem: row.public_key_pem,
    role: row.role as Role,
    createdAt: row.created_at,
  };
}

export function createCredentialStore({ db, clock }: StoreContext): CredentialStore {
  return {
    async create(c) {
      const row = {
        id: c.id, tenant_id: c.tenantId, kind: c.kind, principal: c.principal, lookup_id: c.lookupId,
        secret_hash: c.secretHash, public_key_pem: c.publicKeyPem, role: c.role, created_at: isoNow(clock),
      };
      await uniquely(() => db.insertInto('credentials').values(row).execute(), 'a credential with this id or lookup id already exists');
      return toCredential(row);
    },
    async listForTenant(tenantId) {
      const rows = await db.selectFrom('credentials').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').orderBy('id').execute();
      return rows.map(toCredential);
    },
    async findByPrincipal(kind, principal) {
      const rows = await db.selectFrom('credentials').selectAll().where('kind', '=', kind).where('principal', '=', principal)
        .orderBy('created_at').orderBy('id').execute();
      return rows.map(toCredential);
    },
    async findByLookupId(lookupId) {
      const row = await db.selectFrom('credentials').selectAll().where('lookup_id', '=', lookupId).executeTakeFirst();
      return row && toCredential(row);
    },
    async get(tenantId, id) {
      const row = await db.selectFrom('credentials').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
      return row && toCredential(row);
    },
    async delete(id) {
      const result = await db.deleteFrom('credentials').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
