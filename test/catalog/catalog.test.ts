/**
 * The catalog's stores on every dialect: migrations re-run cleanly, unique
 * names and aliases, tenant isolation of every getter, keyset pagination,
 * JSON and bigint round trips, and first-writer-wins idempotency.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { isHoldfastError } from '../../src/common/errors.js';
import { openCatalog, type Backup, type Catalog } from '../../src/catalog/index.js';
import { forEachTarget, testClock, useCatalog, type Target } from './targets.js';

const T1 = 't1';
const T2 = 't2';

function backup(id: string, tenantId: string, timeRequested: string, extra: Partial<Backup> = {}): Backup {
  return {
    id, tenantId, resourceId: 'r1', name: `b-${id}`, description: '', type: 'FULL', source: 'MANUAL', state: 'CREATING',
    logicalBytes: null, storedBytes: null, snapshotIds: [], timeRequested, timeImaged: null, timeAvailable: null,
    expiresAt: null, keepForever: false, tags: {}, parentId: null, jobId: null, extra: {}, ...extra,
  };
}

async function seedTenants(c: Catalog): Promise<void> {
  await c.tenants.create({ id: T1, name: 'acme', aliases: { identityDomain: ['acme', 'idcs-123'], ociTenancy: ['ocid1.tenancy.oc1..a'] } });
  await c.tenants.create({ id: T2, name: 'globex', aliases: { identityDomain: ['globex'] } });
}

async function rejectsWith(promise: Promise<unknown>, code: 'ALREADY_EXISTS' | 'CONFLICT' | 'INVALID_ARGUMENT'): Promise<void> {
  await assert.rejects(promise, (err: unknown) => isHoldfastError(err, code));
}

function suite(target: Target): void {
  const clock = testClock();
  const catalog = useCatalog(target, clock);

  it('runs migrations idempotently (a second open of the same database)', async (t) => {
    if (target.name === 'sqlite-memory') return t.skip('a memory database lives in one connection');
    await seedTenants(catalog());
    const again = await openCatalog(target.url(), clock);
    try {
      assert.equal(again.dialect, target.name === 'postgres' ? 'postgres' : 'sqlite');
      assert.equal((await again.tenants.getByName('acme'))?.id, T1);
    } finally {
      await again.close();
    }
  });

  it('creates tenants with unique names and finds them by alias', async () => {
    const c = catalog();
    if ((await c.tenants.get(T1)) === undefined) await seedTenants(c);
    assert.deepEqual((await c.tenants.findByAlias('identityDomain', 'idcs-123'))?.aliases.ociTenancy, ['ocid1.tenancy.oc1..a']);
    assert.equal((await c.tenants.findByAlias('ociTenancy', 'ocid1.tenancy.oc1..a'))?.name, 'acme');
    assert.equal(await c.tenants.findByAlias('identityDomain', 'nope'), undefined);
    await rejectsWith(c.tenants.create({ id: 't3', name: 'acme', aliases: {} }), 'ALREADY_EXISTS');
    await rejectsWith(c.tenants.create({ id: 't3', name: 'other', aliases: { identityDomain: ['globex'] } }), 'ALREADY_EXISTS');
    assert.equal(await c.tenants.get('t3'), undefined, 'a failed create leaves nothing behind');
    assert.deepEqual((await c.tenants.list()).map((t) => t.name), ['acme', 'globex']);
    assert.equal((await c.tenants.get(T1))?.createdAt, '2026-01-01T00:00:00.000Z');
  });

  it('stores credentials and finds them by principal and lookup id', async () => {
    const c = catalog();
    const base = { kind: 'password' as const, principal: 'alice', secretHash: 'scrypt$x', publicKeyPem: null, role: 'admin' as const };
    await c.credentials.create({ ...base, id: 'c1', tenantId: T1, lookupId: 'c1' });
    await c.credentials.create({ ...base, id: 'c2', tenantId: T2, lookupId: 'c2', role: 'member' });
    await c.credentials.create({ ...base, id: 'c3', tenantId: T1, kind: 'token', principal: 'alice', lookupId: 'hf_abc' });
    await rejectsWith(c.credentials.create({ ...base, id: 'c4', tenantId: T1, lookupId: 'hf_abc' }), 'ALREADY_EXISTS');
    assert.deepEqual((await c.credentials.findByPrincipal('password', 'alice')).map((x) => [x.tenantId, x.role]), [[T1, 'admin'], [T2, 'member']]);
    assert.equal((await c.credentials.findByLookupId('hf_abc'))?.id, 'c3');
    assert.deepEqual((await c.credentials.listForTenant(T2)).map((x) => x.id), ['c2']);
    assert.equal(await c.credentials.delete('c3'), true);
    assert.equal(await c.credentials.delete('c3'), false);
    assert.equal(await c.credentials.findByLookupId('hf_abc'), undefined);
  });

  it('keeps resources per tenant: unique names, aliases, isolation, update and delete', async () => {
    const c = catalog();
    const r = { kind: 'volume' as const, driver: 'file', config: { path: '/data/disk.img', hooks: [] } };
    await c.resources.create({ ...r, id: 'r1', tenantId: T1, name: 'disk', aliases: { ociVolumeId: 'ocid1.volume.1' } });
    await c.resources.create({ ...r, id: 'r2', tenantId: T2, name: 'disk', aliases: { ociVolumeId: 'ocid1.volume.1' } });
    await rejectsWith(c.resources.create({ ...r, id: 'r3', tenantId: T1, name: 'disk', aliases: {} }), 'ALREADY_EXISTS');
    assert.deepEqual((await c.resources.get(T1, 'r1'))?.config, r.config);
    assert.equal(await c.resources.get(T2, 'r1'), undefined);
    assert.equal((await c.resources.findByAlias(T2, 'ociVolumeId', 'ocid1.volume.1'))?.id, 'r2');
    clock.advance(1000);
    const updated = await c.resources.update(T1, 'r1', { name: 'disk2', aliases: { ociVolumeId: 'ocid1.volume.9' } });
    assert.equal(updated?.name, 'disk2');
    assert.notEqual(updated?.updatedAt, updated?.createdAt);
    assert.equal(await c.resources.findByAlias(T1, 'ociVolumeId', 'ocid1.volume.1'), undefined);
    assert.equal((await c.resources.findByAlias(T1, 'ociVolumeId', 'ocid1.volume.9'))?.id, 'r1');
    assert.equal(await c.resources.update(T2, 'r1', { name: 'stolen' }), undefined);
    assert.equal(await c.resources.delete(T2, 'r1'), false);
    await c.resources.create({ ...r, id: 'r4', tenantId: T1, name: 'other', aliases: {} });
    await rejectsWith(c.resources.update(T1, 'r4', { name: 'disk2' }), 'ALREADY_EXISTS');
    assert.equal(await c.resources.delete(T1, 'r4'), true);
    assert.equal(await c.resources.get(T1, 'r4'), undefined);
  });

  it('pages resources by id', async () => {
    const c = catalog();
    for (let i = 0; i < 7; i++) {
      await c.resources.create({ id: `p${i}`, tenantId: 'tp', name: `n${i}`, kind: 'database', driver: 'postgres', config: null, aliases: {} });
    }
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await c.resources.list('tp', { limit: 3, ...(after === undefined ? {} : { after }) });
      assert.ok(page.items.length <= 3);
      seen.push(...page.items.map((x) => x.id));
      after = page.next;
    } while (after !== undefined);
    assert.deepEqual(seen, ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    assert.equal((await c.resources.list('tp', { limit: 7 })).next, undefined);
    await rejectsWith(c.resources.list('tp', { limit: 3, after: 'garbage' }), 'INVALID_ARGUMENT');
  });

  it('stores backups with JSON, bigint and boolean fields, isolated per tenant', async () => {
    const c = catalog();
    const big = 2 ** 40 + 7;
    const created = await c.backups.create(backup('b1', T1, '2026-01-01T00:00:01.000Z', {
      logicalBytes: big, snapshotIds: ['ab'.repeat(32)], keepForever: true, tags: { env: { tier: 'prod' } }, extra: { ociLifecycle: 'CREATING' },
    }));
    assert.equal(created.logicalBytes, big);
    assert.equal(created.keepForever, true);
    assert.deepEqual(created.tags, { env: { tier: 'prod' } });
    assert.equal(await c.backups.get(T2, 'b1'), undefined);
    assert.equal(await c.backups.update(T2, 'b1', { state: 'DELETED' }), undefined);
    const done = await c.backups.update(T1, 'b1', { state: 'AVAILABLE', storedBytes: 12, timeAvailable: '2026-01-01T00:00:09.000Z', keepForever: false });
    assert.deepEqual([done?.state, done?.storedBytes, done?.keepForever, done?.logicalBytes], ['AVAILABLE', 12, false, big]);
    assert.equal((await c.backups.get(T2, 'b1')), undefined);
  });

  it('lists backups newest first with filters and a cursor', async () => {
    const c = catalog();
    const same = '2026-02-01T00:00:00.000Z';
    const rows = [backup('k1', 'tb', '2026-02-01T00:00:03.000Z'), backup('k2', 'tb', same), backup('k3', 'tb', same),
      backup('k4', 'tb', '2026-01-31T00:00:00.000Z', { type: 'INCREMENTAL' }), backup('k5', 'tb', '2026-02-02T00:00:00.000Z', { resourceId: 'r9' })];
    for (const b of rows) await c.backups.create(b);
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await c.backups.list('tb', {}, { limit: 2, ...(after === undefined ? {} : { after }) });
      seen.push(...page.items.map((x) => x.id));
      after = page.next;
    } while (after !== undefined);
    assert.deepEqual(seen, ['k5', 'k1', 'k3', 'k2', 'k4']);
    assert.deepEqual((await c.backups.list('tb', { resourceId: 'r1', type: 'FULL' }, { limit: 10 })).items.map((x) => x.id), ['k1', 'k3', 'k2']);
    assert.deepEqual((await c.backups.list(T2, {}, { limit: 10 })).items, []);
  });

  it('keeps one repository per tenant', async () => {
    const c = catalog();
    await c.repositories.create({ id: 'repo1', tenantId: T1, location: '/var/lib/holdfast/t1', passwordCiphertext: 'v1:abc' });
    await rejectsWith(c.repositories.create({ id: 'repo2', tenantId: T1, location: 's3://b/p', passwordCiphertext: 'x' }), 'ALREADY_EXISTS');
    assert.equal((await c.repositories.getForTenant(T1))?.passwordCiphertext, 'v1:abc');
    assert.equal(await c.repositories.getForTenant(T2), undefined);
    assert.deepEqual((await c.repositories.list()).map((r) => r.id), ['repo1']);
  });

  it('keeps the first idempotent answer and purges old ones', async () => {
    const c = catalog();
    const first = await c.idempotency.put(T1, 'POST /backups', 'k', { requestHash: 'h1', status: 202, body: '{"id":1}' });
    const second = await c.idempotency.put(T1, 'POST /backups', 'k', { requestHash: 'h2', status: 500, body: 'x' });
    assert.deepEqual(second, first);
    assert.equal(first.requestHash, 'h1');
    const racers = await Promise.all([1, 2, 3].map((n) => c.idempotency.put(T1, 'race', 'k', { requestHash: `h${n}`, status: 200, body: '' })));
    assert.equal(new Set(racers.map((r) => r.requestHash)).size, 1);
    assert.equal(await c.idempotency.get(T2, 'POST /backups', 'k'), undefined);
    clock.advance(60_000);
    await c.idempotency.put(T1, 'POST /backups', 'fresh', { requestHash: 'h', status: 200, body: '' });
    assert.equal(await c.idempotency.purgeOlderThan(new Date(Number(clock.nowNs() / 1_000_000n) - 1000).toISOString()), 2);
    assert.equal(await c.idempotency.get(T1, 'POST /backups', 'k'), undefined);
    assert.equal((await c.idempotency.get(T1, 'POST /backups', 'fresh'))?.status, 200);
  });
}

forEachTarget(suite);
