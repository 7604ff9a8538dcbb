/**
 * The catalog pieces the config file and the scheduler stand on, on every
 * dialect: policy rows and tick claims, the declared-object markers, tenant
 * alias replacement and deletion, and transactions that roll back every
 * store's writes — including stores that open transactions of their own.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { isHoldfastError } from '../../src/common/errors.js';
import { forEachTarget, testClock, useCatalog, type Target } from './targets.js';

function suite(target: Target): void {
  const clock = testClock();
  const catalog = useCatalog(target, clock);

  it('stores policies, unique by name per tenant, and hands each tick to one claimer', async () => {
    const c = catalog();
    const p = await c.policies.create({
      id: 'pol_1', tenantId: 't1', name: 'nightly', resourceIds: ['r1', 'r2'], schedule: '0 2 * * *', timezone: 'UTC', backupType: 'FULL',
      retention: { keepLast: 3, expireAfter: '30d' }, nextRunAt: '2026-01-02T02:00:00.000Z',
    });
    assert.deepEqual(await c.policies.getByName('t1', 'nightly'), p);
    assert.equal(await c.policies.get('t2', 'pol_1'), undefined, 'another tenant does not see it');
    await assert.rejects(c.policies.create({ ...p, id: 'pol_2' }), (e: unknown) => isHoldfastError(e, 'ALREADY_EXISTS'));
    assert.equal(await c.policies.claimRun('pol_1', '2026-01-01T02:00:00.000Z', '2026-01-03T02:00:00.000Z', true), false, 'stale expectation');
    assert.equal(await c.policies.claimRun('pol_1', p.nextRunAt, '2026-01-03T02:00:00.000Z', true), true);
    assert.equal(await c.policies.claimRun('pol_1', p.nextRunAt, '2026-01-03T02:00:00.000Z', true), false, 'already claimed');
    const after = await c.policies.get('t1', 'pol_1');
    assert.deepEqual([after?.nextRunAt, after?.lastRunAt], ['2026-01-03T02:00:00.000Z', '2026-01-01T00:00:00.000Z']);
    const updated = await c.policies.update('t1', 'pol_1', { schedule: '0 3 * * *', nextRunAt: null, retention: {} });
    assert.deepEqual([updated?.schedule, updated?.nextRunAt, updated?.retention, updated?.resourceIds], ['0 3 * * *', null, {}, ['r1', 'r2']]);
    assert.equal(await c.policies.claimRun('pol_1', null, '2026-01-01T03:00:00.000Z', false), true);
    assert.equal((await c.policies.listAll()).length, 1);
    assert.equal(await c.policies.delete('t1', 'pol_1'), true);
    assert.deepEqual(await c.policies.list('t1'), []);
  });

  it('rolls back every store\'s writes when the transaction throws, nested ones included', async () => {
    const c = catalog();
    await assert.rejects(c.transaction(async (s) => {
      await s.tenants.create({ id: 'ten_rb', name: 'rolled-back', aliases: { otcProject: ['p-rb'] } });
      await s.declared.mark({ kind: 'tenant', objectId: 'ten_rb', tenantId: 'ten_rb', name: 'rolled-back' });
      await s.transaction(async (inner) => inner.policies.create({
        id: 'pol_rb', tenantId: 'ten_rb', name: 'p', resourceIds: [], schedule: '* * * * *', timezone: 'UTC', backupType: 'FULL', retention: {}, nextRunAt: null,
      }));
      await s.tenants.create({ id: 'ten_rb2', name: 'rolled-back', aliases: {} });
    }), (e: unknown) => isHoldfastError(e, 'ALREADY_EXISTS'));
    assert.equal(await c.tenants.getByName('rolled-back'), undefined);
    assert.equal(await c.tenants.findByAlias('otcProject', 'p-rb'), undefined);
    assert.deepEqual(await c.declared.list(), []);
    assert.equal(await c.policies.get('ten_rb', 'pol_rb'), undefined);
    const kept = await c.transaction(async (s) => {
      await s.tenants.create({ id: 'ten_ok', name: 'kept', aliases: {} });
      return s.tenants.getByName('kept');
    });
    assert.equal(kept?.id, 'ten_ok');
    assert.equal((await c.tenants.getByName('kept'))?.id, 'ten_ok');
  });

  it('marks declared objects and replaces aliases and deletes tenants for the config', async () => {
    const c = catalog();
    await c.tenants.create({ id: 'ten_d', name: 'decl', aliases: { otcProject: ['p-old'] } });
    await c.tenants.create({ id: 'ten_e', name: 'other', aliases: { otcProject: ['p-taken'] } });
    await c.declared.mark({ kind: 'tenant', objectId: 'ten_d', tenantId: 'ten_d', name: 'decl' });
    await c.declared.mark({ kind: 'tenant', objectId: 'ten_d', tenantId: 'ten_d', name: 'decl' });
    assert.deepEqual(await c.declared.list(), [{ kind: 'tenant', objectId: 'ten_d', tenantId: 'ten_d', name: 'decl' }]);
    await c.declared.replaceTenantAliases('ten_d', { otcProject: ['p-new'], ociTenancy: ['ocid1.tenancy.x'] });
    assert.equal((await c.tenants.findByAlias('otcProject', 'p-new'))?.id, 'ten_d');
    assert.equal(await c.tenants.findByAlias('otcProject', 'p-old'), undefined);
    await assert.rejects(c.declared.replaceTenantAliases('ten_d', { otcProject: ['p-taken'] }), (e: unknown) => isHoldfastError(e, 'ALREADY_EXISTS'));
    assert.deepEqual((await c.tenants.get('ten_d'))?.aliases, { otcProject: ['p-new'], ociTenancy: ['ocid1.tenancy.x'] });
    assert.equal(await c.declared.tenantHoldsData('ten_d'), false);
    await c.resources.create({ id: 'res_d', tenantId: 'ten_d', name: 'r', kind: 'volume', driver: 'volume', config: {}, aliases: {} });
    assert.equal(await c.declared.tenantHoldsData('ten_d'), true);
    await c.resources.delete('ten_d', 'res_d');
    await c.credentials.create({ id: 'cred_d', tenantId: 'ten_d', kind: 'token', principal: 'x', lookupId: 'lk_d', secretHash: 'h', publicKeyPem: null, role: 'admin' });
    await c.declared.deleteTenant('ten_d');
    await c.declared.unmark('tenant', 'ten_d');
    assert.equal(await c.tenants.get('ten_d'), undefined);
    assert.equal(await c.credentials.findByLookupId('lk_d'), undefined);
    assert.equal(await c.tenants.findByAlias('otcProject', 'p-new'), undefined);
    assert.deepEqual(await c.declared.list(), []);
  });
}

forEachTarget(suite);
