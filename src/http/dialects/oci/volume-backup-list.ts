/**
 * ListVolumeBackups (oci.md §1.3): the compartment is required; filters by
 * volume, display name, source backup and lifecycle state (any case); sorted
 * by TIMECREATED (newest first by default) or DISPLAYNAME (A first, case
 * sensitive); paged by paging.ts. The filtering happens here over the
 * tenant's backups: a tenant's backups are counted in thousands, not millions.
 */
import type { AppContext, Principal } from '../../../app/context.js';
import { allBackupRecords, getJob } from '../../../app/backups.js';
import { getResource } from '../../../app/resources.js';
import { ownTenant } from '../../../app/tenants.js';
import type { Backup, Resource, Tenant } from '../../../catalog/index.js';
import { fail } from '../../../common/errors.js';
import { checkCompartment, volumeCompartment } from './compartments.js';
import { orderOf, pageOf, type Model } from './paging.js';
import { isVisible, renderVolumeBackup, type VolumeBackupState } from './volume-backup-model.js';

export interface ListQuery {
  readonly compartmentId?: string;
  readonly volumeId?: string;
  readonly displayName?: string;
  readonly sourceVolumeBackupId?: string;
  readonly lifecycleState?: string;
  readonly limit: number;
  readonly page?: string;
  readonly sortBy?: 'TIMECREATED' | 'DISPLAYNAME';
  readonly sortOrder?: 'ASC' | 'DESC';
}

const STATES: readonly VolumeBackupState[] = ['REQUEST_RECEIVED', 'CREATING', 'AVAILABLE', 'FAULTY', 'TERMINATING', 'TERMINATED'];

function invalid(message: string, ociCode = 'InvalidParameter'): never {
  throw fail('INVALID_ARGUMENT', message, { data: { ociCode } });
}


function stateFilter(raw: string | undefined): VolumeBackupState | undefined {
  if (raw === undefined) return undefined;
  const state = STATES.find((s) => s === raw.toUpperCase());
  if (state === undefined) invalid(`lifecycleState must be one of ${STATES.join(', ')}.`);
  return state;
}


/** The VolumeBackup of every volume backup of the tenant that OCI still shows. */
async function renderAll(app: AppContext, who: Principal, tenant: Tenant, backups: Backup[]): Promise<Model[]> {
  const nowMs = Number(app.clock.nowNs() / 1_000_000n);
  const resources = new Map<string, Resource | undefined>();
  const out: Model[] = [];
  for (const b of backups) {
    if (!resources.has(b.resourceId)) resources.set(b.resourceId, await getResource(app, who, b.resourceId).catch(() => undefined));
    const resource = resources.get(b.resourceId);
    if (resource !== undefined ? resource.driver !== 'volume' : b.extra['oci'] === undefined) continue;
    const job = b.state === 'CREATING' && b.jobId !== null ? await getJob(app, who, b.jobId).catch(() => undefined) : undefined;
    const model = renderVolumeBackup(b, job?.state, resource === undefined ? tenant.aliases['ociTenancy']?.[0] ?? '' : volumeCompartment(tenant, resource));
    if (isVisible(b, nowMs)) out.push(model);
  }
  return out;
}

function matches(m: Model, q: ListQuery, state: VolumeBackupState | undefined): boolean {
  return m['compartmentId'] === q.compartmentId && (q.volumeId === undefined || m['volumeId'] === q.volumeId)
    && (q.displayName === undefined || m['displayName'] === q.displayName)
    && (q.sourceVolumeBackupId === undefined || m['sourceVolumeBackupId'] === q.sourceVolumeBackupId)
    && (state === undefined || m['lifecycleState'] === state);
}

export async function listVolumeBackups(app: AppContext, who: Principal, q: ListQuery): Promise<{ items: Model[]; next?: string }> {
  if (q.compartmentId === undefined) invalid('compartmentId is required.', 'MissingParameter');
  const tenant = await ownTenant(app, who);
  checkCompartment(tenant, q.compartmentId);
  const state = stateFilter(q.lifecycleState);
  const all = await renderAll(app, who, tenant, await allBackupRecords(app, who, {}));
  return pageOf(all.filter((m) => matches(m, q, state)), orderOf(q), q.limit, q.page);
}
