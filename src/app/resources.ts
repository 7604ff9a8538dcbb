/** Inventory use cases: resources of a tenant, each with a driver and its checked config. */
import { fail } from '../common/errors.js';
import { driverFor } from '../source/registry.js';
import type { Resource } from '../catalog/index.js';
import type { AppContext, Principal } from './context.js';
import { newId, nowIso } from './context.js';

export type ResourceKind = 'volume' | 'database' | 'application';

const KIND_OF_DRIVER: Readonly<Record<string, ResourceKind>> = {
  volume: 'volume', postgres: 'database', mariadb: 'database', redis: 'database', sqlite: 'database',
};

export interface NewResource {
  readonly name: string;
  readonly driver: string;
  readonly config: unknown;
  readonly aliases?: Record<string, string>;
  readonly attributes?: Record<string, unknown>;
}

export async function createResource(app: AppContext, who: Principal, input: NewResource): Promise<Resource> {
  const kind = KIND_OF_DRIVER[input.driver];
  if (kind === undefined) throw fail('INVALID_ARGUMENT', `driver must be one of ${Object.keys(KIND_OF_DRIVER).join(', ')}`);
  const config = driverFor(input.driver).parseConfig(input.config);
  const now = nowIso(app.clock);
  const resource: Resource = {
    id: newId(app.random, 'res'), tenantId: who.tenantId, name: input.name, kind, driver: input.driver,
    config, aliases: input.aliases ?? {}, attributes: input.attributes ?? {}, createdAt: now, updatedAt: now,
  };
  await app.catalog.resources.create(resource);
  return resource;
}

export async function getResource(app: AppContext, who: Principal, id: string): Promise<Resource> {
  const r = await app.catalog.resources.get(who.tenantId, id);
  if (r === undefined) throw fail('NOT_FOUND', `no resource ${id}`);
  return r;
}

export async function updateResource(
  app: AppContext, who: Principal, id: string, patch: { name?: string; config?: unknown; aliases?: Record<string, string>; attributes?: Record<string, unknown> },
): Promise<Resource> {
  const current = await getResource(app, who, id);
  const config = patch.config === undefined ? undefined : driverFor(current.driver).parseConfig(patch.config);
  const updated = await app.catalog.resources.update(who.tenantId, id, {
    ...(patch.name === undefined ? {} : { name: patch.name }),
    ...(config === undefined ? {} : { config }),
    ...(patch.aliases === undefined ? {} : { aliases: patch.aliases }),
    ...(patch.attributes === undefined ? {} : { attributes: { ...current.attributes, ...patch.attributes } }),
  });
  if (updated === undefined) throw fail('NOT_FOUND', `no resource ${id}`);
  return updated;
}

export async function deleteResource(app: AppContext, who: Principal, id: string): Promise<void> {
  if (!(await app.catalog.resources.delete(who.tenantId, id))) throw fail('NOT_FOUND', `no resource ${id}`);
}
