/**
 * The catalog queries behind the admin API, on every dialect: replacing a
 * tenant's aliases (lookups follow, aliases stay globally unique) and
 * deleting a tenant only while it is empty, taking its rows along.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { isHoldfastError } from '../../src/common/errors.js';
import { forEachTarget, testClock, useCatalog, type Target } from './targets.js';

function suite(target: Target): void {
  const catalog = useCatalog(target, testClock());

  it('replaces aliases and keeps them unique across tenants', async () => {
    const c = catalog();
    await c.tenants.create({ id: 'ta', name: 'alpha', aliases: { identityDomain: ['alpha'] } });
    await c.tenants.create({ id: 'tb', name: 'beta', aliases: { identityDomain: ['beta'] } });
    const updated = await c.tenants.setAliases('ta', { ociTenancy: ['ocid1.tenancy.oc1..alpha'] });
    assert.deepEqual(updated?.aliases, { ociTenancy: ['ocid1.tenancy.oc1..alpha'] });
    assert.equal(await c.tenants.findByAlias('identityDomain', 'alpha'), undefined);
    assert.equal((await c.tenants.findByAlias('ociTenancy', 'ocid1.tenancy.oc1..alpha'))?.id, 'ta');
    await assert.rejects(c.tenants.setAliases('ta', { identityDomain: ['beta'] }), (e) => isHoldfastError(e, 'ALREADY_EXISTS'));
    assert.deepEqual((await c.tenants.get('ta'))?.aliases, { ociTenancy: ['ocid1.tenancy.oc1..alpha'] }, 'a refused change leaves the old aliases');
    assert.equal(await c.tenants.setAliases('nope', {}), undefined);
  });

  it('deletes a tenant only when empty, with its credentials and aliases', async () => {
    const c = catalog();
    await c.tenants.create({ id: 'tc', name: 'gamma', aliases: { otcProject: ['0123456789abcdef0123456789abcdef'] } });
    await c.credentials.create({ id: 'cg', tenantId: 'tc', kind: 'token', principal: 'p', lookupId: 'lookup-gamma', secretHash: 'h', publicKeyPem: null, role: 'admin' });
    await c.resources.create({ id: 'rg', tenantId: 'tc', name: 'r', kind: 'volume', driver: 'volume', config: {}, aliases: {} });
    assert.equal(await c.tenants.deleteIfEmpty('tc'), 'not-empty');
    assert.equal(await c.resources.delete('tc', 'rg'), true);
    await c.jobs.create({ id: 'jg', tenantId: 'tc', kind: 'backup', resourceId: 'rg', backupId: null, mutating: true, params: {} });
    assert.equal(await c.tenants.deleteIfEmpty('tc'), 'not-empty', 'an unfinished job keeps the tenant');
    await c.jobs.requestCancel('tc', 'jg');
    assert.equal(await c.tenants.deleteIfEmpty('tc'), 'deleted');
    assert.equal(await c.tenants.get('tc'), undefined);
    assert.equal(await c.credentials.findByLookupId('lookup-gamma'), undefined);
    assert.equal(await c.tenants.findByAlias('otcProject', '0123456789abcdef0123456789abcdef'), undefined);
    assert.equal(await c.jobs.get('tc', 'jg'), undefined);
    assert.equal(await c.tenants.deleteIfEmpty('tc'), 'missing');
  });

  it('finds a credential only within its tenant', async () => {
    const c = catalog();
    await c.credentials.create({ id: 'cx', tenantId: 'ta', kind: 'token', principal: 'p', lookupId: 'lookup-x', secretHash: 'h', publicKeyPem: null, role: 'member' });
    assert.equal((await c.credentials.get('ta', 'cx'))?.principal, 'p');
    assert.equal(await c.credentials.get('tb', 'cx'), undefined);
  });
}

forEachTarget(suite);
