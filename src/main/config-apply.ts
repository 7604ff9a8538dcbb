/**
 * Applies a checked config to the catalog, by name and idempotently: declared
 * tenants, credentials, resources and policies are created or updated to
 * match, and objects an earlier config declared that this one does not are
 * removed. Objects made through the API are never touched (an API-made
 * tenant, resource or policy of a declared name is adopted). It all runs in
 * one catalog transaction, so a config that fails here changes nothing.
 */
import { fail } from '../common/errors.js';
import { newId, type AppContext, type Principal } from '../app/context.js';
import { createPolicy, updatePolicy, type PolicyInput } from '../app/policies.js';
import { createResource, updateResource } from '../app/resources.js';
import type { Catalog, CatalogStores, Declared, DeclaredKind, Resource } from '../catalog/index.js';
import type { HoldfastConfig, PolicyDecl, ResourceDecl, TenantDecl } from './config.js';

/** What applying changed, one line per object ("created resource acme/db"). */
export interface ApplyReport {
  readonly changes: string[];
  /** Objects no longer declared but kept, and why. */
  readonly warnings: string[];
}

interface Apply {
  readonly app: AppContext;
  readonly stores: CatalogStores;
  readonly declared: Declared[];
  /** `${kind}\0${objectId}` of every object this config declares. */
  readonly seen: Set<string>;
  readonly tenantIds: Map<string, string>;
  readonly report: ApplyReport;
}

const as = (tenantId: string): Principal => ({ tenantId, role: 'admin', credentialId: 'config' });

async function mark(a: Apply, kind: DeclaredKind, objectId: string, tenantId: string, name: string): Promise<void> {
  a.seen.add(`${kind}\0${objectId}`);
  await a.stores.declared.mark({ kind, objectId, tenantId, name });
}

function sameAliases(x: Record<string, string[]>, y: Record<string, string[]>): boolean {
  const norm = (o: Record<string, string[]>) => JSON.stringify(Object.keys(o).sort().map((k) => [k, [...(o[k] ?? [])].sort()]));
  return norm(x) === norm(y);
}

async function applyTenant(a: Apply, t: TenantDecl): Promise<void> {
  let tenant = await a.stores.tenants.getByName(t.name);
  if (tenant === undefined) {
    tenant = await a.stores.tenants.create({ id: newId(a.app.random, 'ten'), name: t.name, aliases: t.aliases });
    a.report.changes.push(`created tenant ${t.name}`);
  } else if (!sameAliases(tenant.aliases, t.aliases)) {
    await a.stores.declared.replaceTenantAliases(tenant.id, t.aliases);
    a.report.changes.push(`updated tenant ${t.name}`);
  }
  a.tenantIds.set(t.name, tenant.id);
  await mark(a, 'tenant', tenant.id, tenant.id, t.name);
  for (const c of t.credentials) await applyToken(a, tenant.id, t.name, c);
}

async function applyToken(a: Apply, tenantId: string, tenantName: string, c: TenantDecl['credentials'][number]): Promise<void> {
  const marker = a.declared.find((d) => d.kind === 'credential' && d.tenantId === tenantId && d.name === c.name);
  const current = marker === undefined ? undefined : (await a.stores.credentials.listForTenant(tenantId)).find((x) => x.id === marker.objectId);
  if (current !== undefined && current.lookupId === c.lookupId && current.secretHash === c.secretHash && current.role === c.role) {
    await mark(a, 'credential', current.id, tenantId, c.name);
    return;
  }
  if (current !== undefined) await a.stores.credentials.delete(current.id);
  const id = newId(a.app.random, 'cred');
  await a.stores.credentials.create({
    id, tenantId, kind: 'token', principal: c.name, lookupId: c.lookupId, secretHash: c.secretHash, publicKeyPem: null, role: c.role,
  });
  await mark(a, 'credential', id, tenantId, c.name);
  a.report.changes.push(`${current === undefined ? 'created' : 'replaced'} token ${tenantName}/${c.name}`);
}

async function tenantId(a: Apply, name: string, at: string): Promise<string> {
  const id = a.tenantIds.get(name) ?? (await a.stores.tenants.getByName(name))?.id;
  if (id === undefined) throw fail('INVALID_ARGUMENT', `${at}: no tenant ${name} (declare it under tenants)`);
  return id;
}

async function resourceByName(stores: CatalogStores, tenant: string, name: string): Promise<Resource | undefined> {
  let after: string | undefined;
  do {
    const page = await stores.resources.list(tenant, { limit: 1000, ...(after === undefined ? {} : { after }) });
    const found = page.items.find((r) => r.name === name);
    if (found !== undefined) return found;
    after = page.next;
  } while (after !== undefined);
  return undefined;
}

async function applyResource(a: Apply, r: ResourceDecl): Promise<void> {
  const tenant = await tenantId(a, r.tenant, r.at);
  const app = { ...a.app, catalog: a.stores as Catalog };
  const current = await resourceByName(a.stores, tenant, r.name);
  let id: string;
  if (current === undefined) {
    id = (await createResource(app, as(tenant), { name: r.name, driver: r.driver, config: r.config, aliases: r.aliases })).id;
    a.report.changes.push(`created resource ${r.tenant}/${r.name}`);
  } else {
    if (current.driver !== r.driver) throw fail('INVALID_ARGUMENT', `${r.at}: resource ${r.tenant}/${r.name} exists with driver ${current.driver}; a driver cannot change (give the resource a new name)`);
    id = current.id;
    if (JSON.stringify(current.config) !== JSON.stringify(r.checkedConfig) || JSON.stringify(current.aliases) !== JSON.stringify(r.aliases)) {
      await updateResource(app, as(tenant), id, { config: r.config, aliases: r.aliases });
      a.report.changes.push(`updated resource ${r.tenant}/${r.name}`);
    }
  }
  await mark(a, 'resource', id, tenant, r.name);
}

async function applyPolicy(a: Apply, p: PolicyDecl): Promise<void> {
  const tenant = await tenantId(a, p.tenant, p.at);
  const resourceIds: string[] = [];
  for (const name of p.resources) {
    const r = await resourceByName(a.stores, tenant, name);
    if (r === undefined) throw fail('INVALID_ARGUMENT', `${p.at}: policy ${p.tenant}/${p.name} names resource ${name}, which tenant ${p.tenant} does not have`);
    resourceIds.push(r.id);
  }
  const input: PolicyInput = { name: p.name, resourceIds, schedule: p.schedule, timezone: p.timezone, backupType: p.backupType, retention: p.retention, copyToRegion: p.copyToRegion };
  const app = { ...a.app, catalog: a.stores as Catalog };
  const current = await a.stores.policies.getByName(tenant, p.name);
  if (current === undefined) {
    await mark(a, 'policy', (await createPolicy(app, as(tenant), input)).id, tenant, p.name);
    a.report.changes.push(`created policy ${p.tenant}/${p.name}`);
    return;
  }
  const same = JSON.stringify([current.resourceIds, current.schedule, current.timezone, current.backupType, current.retention, current.copyToRegion]) ===
    JSON.stringify([resourceIds, p.schedule, p.timezone, p.backupType, p.retention, p.copyToRegion]);
  if (!same) {
    await updatePolicy(app, as(tenant), current.id, input);
    a.report.changes.push(`updated policy ${p.tenant}/${p.name}`);
  }
  await mark(a, 'policy', current.id, tenant, p.name);
}

/** Removes what earlier configs declared and this one does not: policies, resources, credentials, then tenants. */
async function removeUndeclared(a: Apply): Promise<void> {
  const gone = a.declared.filter((d) => !a.seen.has(`${d.kind}\0${d.objectId}`));
  for (const kind of ['policy', 'resource', 'credential'] as const) {
    for (const d of gone.filter((x) => x.kind === kind)) {
      const removed = kind === 'policy' ? await a.stores.policies.delete(d.tenantId, d.objectId)
        : kind === 'resource' ? await a.stores.resources.delete(d.tenantId, d.objectId)
          : await a.stores.credentials.delete(d.objectId);
      await a.stores.declared.unmark(kind, d.objectId);
      if (removed) a.report.changes.push(`removed ${kind === 'credential' ? 'token' : kind} ${d.name} (tenant ${d.tenantId})`);
    }
  }
  for (const d of gone.filter((x) => x.kind === 'tenant')) {
    if ((await a.stores.tenants.get(d.objectId)) !== undefined && (await a.stores.declared.tenantHoldsData(d.objectId))) {
      a.report.warnings.push(`tenant ${d.name} is no longer declared but still holds resources, backups or a repository; it is kept until they are gone`);
      continue;
    }
    await a.stores.declared.deleteTenant(d.objectId);
    await a.stores.declared.unmark('tenant', d.objectId);
    a.report.changes.push(`removed tenant ${d.name}`);
  }
}

/** Applies the declarations of `config` (not its server section) in one catalog transaction. */
export async function applyConfig(app: AppContext, config: HoldfastConfig): Promise<ApplyReport> {
  return app.catalog.transaction(async (stores) => {
    const a: Apply = { app, stores, declared: await stores.declared.list(), seen: new Set(), tenantIds: new Map(), report: { changes: [], warnings: [] } };
    for (const t of config.tenants) await applyTenant(a, t);
    for (const r of config.resources) await applyResource(a, r);
    for (const p of config.policies) await applyPolicy(a, p);
    await removeUndeclared(a);
    return a.report;
  });
}
