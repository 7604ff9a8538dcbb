/** Finding the objects an OCI path or body names by OCID; anything that is not the caller's is NotAuthorizedOrNotFound. */
import type { AppContext, Principal } from '../../../app/context.js';
import { getBackupRecord, getJob } from '../../../app/backups.js';
import { getResource } from '../../../app/resources.js';
import { ownTenant } from '../../../app/tenants.js';
import type { Backup, Resource } from '../../../catalog/index.js';
import { fail } from '../../../common/errors.js';
import { volumeCompartment } from './compartments.js';
import { fromOcid, VOLUME, VOLUME_BACKUP } from './ocids.js';
import { isVisible, renderVolumeBackup } from './volume-backup-model.js';

function notFound(what: string): never {
  throw fail('NOT_FOUND', `Authorization failed or requested resource not found: ${what}.`);
}

export async function findVolume(app: AppContext, who: Principal, ocid: string): Promise<Resource> {
  const id = fromOcid(VOLUME, ocid);
  const resource = id === undefined ? undefined : await getResource(app, who, id).catch(() => undefined);
  if (resource === undefined || resource.driver !== 'volume') notFound(`volume ${ocid}`);
  return resource;
}

/** A backup OCI shows: of a volume (or made through this API), not TERMINATED for longer than OCI keeps showing it. */
export async function findVolumeBackup(app: AppContext, who: Principal, ocid: string): Promise<Backup> {
  const id = fromOcid(VOLUME_BACKUP, ocid);
  const backup = id === undefined ? undefined : await getBackupRecord(app, who, id).catch(() => undefined);
  if (backup === undefined || !isVisible(backup, Number(app.clock.nowNs() / 1_000_000n))) notFound(`volume backup ${ocid}`);
  const resource = await getResource(app, who, backup.resourceId).catch(() => undefined);
  if (resource !== undefined ? resource.driver !== 'volume' : backup.extra['oci'] === undefined) notFound(`volume backup ${ocid}`);
  return backup;
}

/** The VolumeBackup answer for a backup: its job's state tells REQUEST_RECEIVED from CREATING. */
export async function volumeBackupModel(app: AppContext, who: Principal, backup: Backup): Promise<Record<string, unknown>> {
  const job = backup.state === 'CREATING' && backup.jobId !== null ? await getJob(app, who, backup.jobId).catch(() => undefined) : undefined;
  const tenant = await ownTenant(app, who);
  const resource = await getResource(app, who, backup.resourceId).catch(() => undefined);
  const compartment = resource === undefined ? tenant.aliases['ociTenancy']?.[0] ?? '' : volumeCompartment(tenant, resource);
  return renderVolumeBackup(backup, job?.state, compartment);
}
