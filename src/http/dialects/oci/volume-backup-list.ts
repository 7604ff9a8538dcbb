/**
 * ListVolumeBackups (oci.md §1.3): the compartment is required; filters by
 * volume, display name, source backup and lifecycle state (any case); sorted
 * by TIMECREATED (newest first by default) or DISPLAYNAME (A first, case
 * sensitive); pages of `limit` with an opaque `opc-next-page` token. The
 * token names the last item given (the next page starts after its place in
 * the order), not an offset, so a backup made or deleted while a client pages
 * through the list neither repeats nor hides another. The token holds the
 * item's OCID rather than its sort key: a display name can be far longer than
 * a token may be. The filtering happens here over the tenant's backups: a
 * tenant's backups are counted in thousands, not millions.
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

/** Where the previous page ended: the order it was listed in and its last item. */
interface PageToken {
  readonly order: string;
  readonly id: string;
}

function decodePage(page: string | undefined): PageToken | undefined {
  if (page === undefined) return undefined;
  const m = /^([a-zA-Z]+:(?:asc|desc))\|(ocid1\.volumebackup\.[\x21-\x7e]+)$/.exec(Buffer.from(page, 'base64url').toString('latin1'));
  if (m === null) invalid('The page token is not valid.');
  return { order: m[1]!, id: m[2]! };
}

function encodePage(token: PageToken): string {
  return Buffer.from(`${token.order}|${token.id}`, 'latin1').toString('base64url');
}

function stateFilter(raw: string | undefined): VolumeBackupState | undefined {
  if (raw === undefined) return undefined;
  const state = STATES.find((s) => s === raw.toUpperCase());
  if (state === undefined) invalid(`lifecycleState must be one of ${STATES.join(', ')}.`);
  return state;
}

type Model = Record<string, unknown>;

interface Rendered {
  readonly model: Model;
  readonly visible: boolean;
}

/** The VolumeBackup of every volume backup of the tenant, TERMINATED ones OCI no longer shows included (a page token may name one). */
async function renderAll(app: AppContext, who: Principal, tenant: Tenant, backups: Backup[]): Promise<Rendered[]> {
  const nowMs = Number(app.clock.nowNs() / 1_000_000n);
  const resources = new Map<string, Resource | undefined>();
  const out: Rendered[] = [];
  for (const b of backups) {
    if (!resources.has(b.resourceId)) resources.set(b.resourceId, await getResource(app, who, b.resourceId).catch(() => undefined));
    const resource = resources.get(b.resourceId);
    if (resource !== undefined ? resource.driver !== 'volume' : b.extra['oci'] === undefined) continue;
    const job = b.state === 'CREATING' && b.jobId !== null ? await getJob(app, who, b.jobId).catch(() => undefined) : undefined;
    const model = renderVolumeBackup(b, job?.state, resource === undefined ? tenant.aliases['ociTenancy']?.[0] ?? '' : volumeCompartment(tenant, resource));
    out.push({ model, visible: isVisible(b, nowMs) });
  }
  return out;
}

function matches(m: Model, q: ListQuery, state: VolumeBackupState | undefined): boolean {
  return m['compartmentId'] === q.compartmentId && (q.volumeId === undefined || m['volumeId'] === q.volumeId)
    && (q.displayName === undefined || m['displayName'] === q.displayName)
    && (q.sourceVolumeBackupId === undefined || m['sourceVolumeBackupId'] === q.sourceVolumeBackupId)
    && (state === undefined || m['lifecycleState'] === state);
}

interface Order {
  readonly field: 'displayName' | 'timeCreated';
  readonly desc: boolean;
  /** The order in the page token, so that a token is not read under another order. */
  readonly name: string;
}

function orderOf(q: ListQuery): Order {
  const field = q.sortBy === 'DISPLAYNAME' ? 'displayName' : 'timeCreated';
  const desc = q.sortOrder === undefined ? field === 'timeCreated' : q.sortOrder === 'DESC';
  return { field, desc, name: `${field}:${desc ? 'desc' : 'asc'}` };
}

/** An item's place in the order: its sort key, then its id (unique, so the order is total). */
function compare(a: Model, b: Model, order: Order): number {
  const [x, y] = [String(a[order.field]), String(b[order.field])];
  const [i, j] = [String(a['id']), String(b['id'])];
  const byKey = x < y ? -1 : x > y ? 1 : i < j ? -1 : i > j ? 1 : 0;
  return order.desc ? -byKey : byKey;
}

/** The item a page token names, wherever it is now (it may have left the filter or ended its TERMINATED window). */
function cursorOf(token: PageToken | undefined, order: Order, all: readonly Rendered[]): Model | undefined {
  if (token === undefined) return undefined;
  if (token.order !== order.name) invalid('The page token belongs to a listing in another order.');
  const found = all.find((r) => r.model['id'] === token.id);
  if (found === undefined) invalid('The page token is not valid.');
  return found.model;
}

export async function listVolumeBackups(app: AppContext, who: Principal, q: ListQuery): Promise<{ items: Model[]; next?: string }> {
  if (q.compartmentId === undefined) invalid('compartmentId is required.', 'MissingParameter');
  const tenant = await ownTenant(app, who);
  checkCompartment(tenant, q.compartmentId);
  const state = stateFilter(q.lifecycleState);
  const order = orderOf(q);
  const token = decodePage(q.page);
  const all = await renderAll(app, who, tenant, await allBackupRecords(app, who, {}));
  const cursor = cursorOf(token, order, all);
  const listed = all.filter((r) => r.visible && matches(r.model, q, state)).map((r) => r.model).sort((a, b) => compare(a, b, order));
  const rest = cursor === undefined ? listed : listed.filter((m) => compare(m, cursor, order) > 0);
  const items = rest.slice(0, q.limit);
  const last = items[items.length - 1];
  return rest.length > q.limit && last !== undefined ? { items, next: encodePage({ order: order.name, id: String(last['id']) }) } : { items };
}
