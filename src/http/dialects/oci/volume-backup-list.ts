/**
 * ListVolumeBackups (oci.md §1.3): the compartment is required; filters by
 * volume, display name, source backup and lifecycle state (any case); sorted
 * by TIMECREATED (newest first by default) or DISPLAYNAME (A first, case
 * sensitive); pages of `limit` with an opaque `opc-next-page` token. The
 * filtering happens here over the tenant's backups: a tenant's backups are
 * counted in thousands, not millions.
 */
import type { AppContext, Principal } from '../../../app/context.js';
import { allBackupRecords, getJob } from '../../../app/backups.js';
import { getResource } from '../../../app/resources.js';
import { ownTenant } from '../../../app/tenants.js';
import type { Backup, Resource, Tenant } from '../../../catalog/index.js';
import { fail } from '../../../common/errors.js';
import { checkCompartment, volumeCompartment } from './compartments.js';
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

export function decodePage(page: string | undefined): number {
  if (page === undefined) return 0;
  const m = /^p(\d{1,9})$/.exec(Buffer.from(page, 'base64url').toString('latin1'));
  if (m === null) invalid('The page token is not valid.');
  return Number(m[1]);
}

export function encodePage(offset: number): string {
  return Buffer.from(`p${offset}`, 'latin1').toString('base64url');
}

function stateFilter(raw: string | undefined): VolumeBackupState | undefined {
  if (raw === undefined) return undefined;
  const state = STATES.find((s) => s === raw.toUpperCase());
  if (state === undefined) invalid(`lifecycleState must be one of ${STATES.join(', ')}.`);
  return state;
}

type Model = Record<string, unknown>;

async function renderAll(app: AppContext, who: Principal, tenant: Tenant, backups: Backup[]): Promise<Model[]> {
  const resources = new Map<string, Resource | undefined>();
  const out: Model[] = [];
  for (const b of backups) {
    if (!resources.has(b.resourceId)) resources.set(b.resourceId, await getResource(app, who, b.resourceId).catch(() => undefined));
    const resource = resources.get(b.resourceId);
    if (resource !== undefined ? resource.driver !== 'volume' : b.extra['oci'] === undefined) continue;
    const job = b.state === 'CREATING' && b.jobId !== null ? await getJob(app, who, b.jobId).catch(() => undefined) : undefined;
    out.push(renderVolumeBackup(b, job?.state, resource === undefined ? tenant.aliases['ociTenancy']?.[0] ?? '' : volumeCompartment(tenant, resource)));
  }
  return out;
}

function matches(m: Model, q: ListQuery, state: VolumeBackupState | undefined): boolean {
  return m['compartmentId'] === q.compartmentId && (q.volumeId === undefined || m['volumeId'] === q.volumeId)
    && (q.displayName === undefined || m['displayName'] === q.displayName)
    && (q.sourceVolumeBackupId === undefined || m['sourceVolumeBackupId'] === q.sourceVolumeBackupId)
    && (state === undefined || m['lifecycleState'] === state);
}

function compare(a: Model, b: Model, q: ListQuery): number {
  const key = q.sortBy === 'DISPLAYNAME' ? 'displayName' : 'timeCreated';
  const desc = q.sortOrder === undefined ? key === 'timeCreated' : q.sortOrder === 'DESC';
  const x = String(a[key]);
  const y = String(b[key]);
  const byKey = x < y ? -1 : x > y ? 1 : String(a['id']) < String(b['id']) ? -1 : 1;
  return desc ? -byKey : byKey;
}

export async function listVolumeBackups(app: AppContext, who: Principal, q: ListQuery): Promise<{ items: Model[]; next?: string }> {
  if (q.compartmentId === undefined) invalid('compartmentId is required.', 'MissingParameter');
  const tenant = await ownTenant(app, who);
  checkCompartment(tenant, q.compartmentId);
  const state = stateFilter(q.lifecycleState);
  const offset = decodePage(q.page);
  const nowMs = Number(app.clock.nowNs() / 1_000_000n);
  const backups = (await allBackupRecords(app, who, {})).filter((b) => isVisible(b, nowMs));
  const models = (await renderAll(app, who, tenant, backups)).filter((m) => matches(m, q, state)).sort((a, b) => compare(a, b, q));
  const items = models.slice(offset, offset + q.limit);
  return offset + q.limit < models.length ? { items, next: encodePage(offset + q.limit) } : { items };
}
