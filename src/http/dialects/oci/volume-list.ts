/**
 * ListVolumes: the compartment is required; filters by availability domain,
 * display name and lifecycle state (any case); sorted by TIMECREATED (newest
 * first by default) or DISPLAYNAME (A first, case sensitive); pages of
 * `limit` with an opaque `opc-next-page` token (paging.ts).
 * Volumes deleted within the last hour are listed as TERMINATED.
 */
import type { AppContext, Principal } from '../../../app/context.js';
import { allVolumes, deletedVolumes, volumeView, type VolumeView } from '../../../app/volumes.js';
import { ownTenant } from '../../../app/tenants.js';
import { fail } from '../../../common/errors.js';
import { checkCompartment, volumeCompartment } from './compartments.js';
import { orderOf, pageOf, type Model } from './paging.js';
import { OCI_VOLUME_STATES, renderVolume, TERMINATED_VOLUME_VISIBLE_MS, type OciVolumeState } from './volume-model.js';
import type { VolumeListQuery } from './volume-schemas.js';


function invalid(message: string, ociCode = 'InvalidParameter'): never {
  throw fail('INVALID_ARGUMENT', message, { data: { ociCode } });
}

function stateFilter(raw: string | undefined): OciVolumeState | undefined {
  if (raw === undefined) return undefined;
  const state = OCI_VOLUME_STATES.find((s) => s === raw.toUpperCase());
  if (state === undefined) invalid(`lifecycleState must be one of ${OCI_VOLUME_STATES.join(', ')}.`);
  return state;
}

/** The instant from which deleted volumes are still shown. */
export function terminatedCutoff(app: AppContext): string {
  return new Date(Number(app.clock.nowNs() / 1_000_000n) - TERMINATED_VOLUME_VISIBLE_MS).toISOString();
}

function matches(m: Model, q: VolumeListQuery, state: OciVolumeState | undefined): boolean {
  return m['compartmentId'] === q.compartmentId
    && (q.availabilityDomain === undefined || m['availabilityDomain'] === q.availabilityDomain)
    && (q.displayName === undefined || m['displayName'] === q.displayName)
    && (state === undefined || m['lifecycleState'] === state);
}

async function views(app: AppContext, who: Principal): Promise<VolumeView[]> {
  const out: VolumeView[] = [];
  for (const resource of await allVolumes(app, who)) out.push(await volumeView(app, who, resource));
  const live = new Set(out.map((v) => v.resource.id));
  // A volume appears once: registered, or else as its latest deletion.
  const seen = new Set<string>();
  for (const gone of await deletedVolumes(app, who, terminatedCutoff(app))) {
    if (live.has(gone.resource.id) || seen.has(gone.resource.id)) continue;
    seen.add(gone.resource.id);
    out.push(gone);
  }
  return out;
}

export async function listVolumes(app: AppContext, who: Principal, q: VolumeListQuery): Promise<{ items: Model[]; next?: string }> {
  if (q.compartmentId === undefined) invalid('compartmentId is required.', 'MissingParameter');
  const tenant = await ownTenant(app, who);
  checkCompartment(tenant, q.compartmentId);
  const state = stateFilter(q.lifecycleState);
  const models = (await views(app, who)).map((v) => renderVolume(v, volumeCompartment(tenant, v.resource))).filter((m) => matches(m, q, state));
  return pageOf(models, orderOf(q), q.limit, q.page);
}
