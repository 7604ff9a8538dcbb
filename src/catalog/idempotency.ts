/**
 * Idempotency records (OCI opc-retry-token, native Idempotency-Key): the
 * first answer given for a (tenant, scope, key) is kept and replayed. The
 * insert uses ON CONFLICT DO NOTHING, so concurrent writers never fail and
 * all of them read back the same, first, row. A caller can reserve a key with
 * a pending body only it knows, then complete() or release() that reservation:
 * both are conditioned on the pending body, so a stale caller changes nothing.
 */
import type { Selectable } from 'kysely';
import type { StoreContext } from './context.js';
import { isoNow } from './codec.js';
import { fail } from '../common/errors.js';
import type { IdempotencyTable } from './schema.js';
import type { IdempotencyRecord, IdempotencyStore } from './types.js';

function toRecord(row: Selectable<IdempotencyTable>): IdempotencyRecord {
  return { requestHash: row.request_hash, status: row.status, body: row.body, createdAt: row.created_at };
}

export function createIdempotencyStore({ db, clock }: StoreContext): IdempotencyStore {
  const get = async (tenantId: string, scope: string, key: string): Promise<IdempotencyRecord | undefined> => {
    const row = await db.selectFrom('idempotency').selectAll()
      .where('tenant_id', '=', tenantId).where('scope', '=', scope).where('key', '=', key).executeTakeFirst();
    return row && toRecord(row);
  };
  return {
    get,
    async put(tenantId, scope, key, value) {
      await db.insertInto('idempotency')
        .values({ tenant_id: tenantId, scope, key, request_hash: value.requestHash, status: value.status, body: value.body, created_at: isoNow(clock) })
        .onConflict((oc) => oc.columns(['tenant_id', 'scope', 'key']).doNothing())
        .execute();
      const stored = await get(tenantId, scope, key);
      if (stored === undefined) throw fail('INTERNAL', 'idempotency record vanished right after it was written');
      return stored;
    },
    async complete(tenantId, scope, key, pendingBody, answer) {
      const result = await db.updateTable('idempotency').set({ status: answer.status, body: answer.body })
        .where('tenant_id', '=', tenantId).where('scope', '=', scope).where('key', '=', key).where('body', '=', pendingBody)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async release(tenantId, scope, key, body) {
      const result = await db.deleteFrom('idempotency')
        .where('tenant_id', '=', tenantId).where('scope', '=', scope).where('key', '=', key).where('body', '=', body)
        .executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },
    async purgeOlderThan(iso) {
      const result = await db.deleteFrom('idempotency').where('created_at', '<', iso).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
