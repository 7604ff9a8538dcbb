/**
 * /20160918/volumes: CreateVolume (only the restore form: a new volume from a
 * volume backup, through the core's restoreIntoNewVolume), GetVolume,
 * ListVolumes, UpdateVolume (display name, tags) and DeleteVolume.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext, Principal } from '../../../app/context.js';
import { updateResource } from '../../../app/resources.js';
import { ownTenant } from '../../../app/tenants.js';
import { deletedVolume, deleteVolume, getVolume, restoreIntoNewVolume, volumeView, type VolumeView } from '../../../app/volumes.js';
import { fail } from '../../../common/errors.js';
import { checkCompartment, COMPARTMENT_ATTRIBUTE, volumeCompartment } from './compartments.js';
import { findVolume, findVolumeBackup } from './lookups.js';
import { fromOcid, VOLUME } from './ocids.js';
import { callerOf, checkIfMatch, sendModel, withRetryToken } from './replies.js';
import { idParam } from './schemas.js';
import { listVolumes, terminatedCutoff } from './volume-list.js';
import { ATTR, DEFAULT_AVAILABILITY_DOMAIN, renderVolume } from './volume-model.js';
import { createVolumeBody, listVolumesQuery, updateVolumeBody, type CreateVolumeBody, type UpdateVolumeBody, type VolumeListQuery } from './volume-schemas.js';

function idOf(req: FastifyRequest): string {
  return (req.params as { id: string }).id;
}

function invalid(message: string, ociCode = 'InvalidParameter'): never {
  throw fail('INVALID_ARGUMENT', message, { data: { ociCode } });
}

async function model(app: AppContext, who: Principal, view: VolumeView): Promise<Record<string, unknown>> {
  return renderVolume(view, volumeCompartment(await ownTenant(app, who), view.resource));
}

/** A registered volume, or one deleted so recently that OCI still shows it TERMINATED. */
async function volumeOrTombstone(app: AppContext, who: Principal, ocid: string): Promise<VolumeView> {
  const id = fromOcid(VOLUME, ocid);
  const resource = id === undefined ? undefined : await getVolume(app, who, id).catch(() => undefined);
  if (resource !== undefined) return volumeView(app, who, resource);
  const gone = id === undefined ? undefined : await deletedVolume(app, who, id, terminatedCutoff(app));
  if (gone === undefined) throw fail('NOT_FOUND', `Authorization failed or requested resource not found: volume ${ocid}.`);
  return gone;
}

/** The backup OCID the request restores: `sourceDetails {type: volumeBackup, id}` or the older `volumeBackupId`. */
function sourceBackupOf(body: CreateVolumeBody): string {
  const details = body.sourceDetails;
  if (details !== undefined && details.type !== 'volumeBackup') {
    invalid(`sourceDetails of type ${details.type} is not supported: Holdfast creates volumes by restoring a volume backup (type volumeBackup).`);
  }
  if (details !== undefined && details.id === undefined) invalid('sourceDetails.id is required.', 'MissingParameter');
  if (details?.id !== undefined && body.volumeBackupId !== undefined && details.id !== body.volumeBackupId) {
    invalid('sourceDetails.id and volumeBackupId name different volume backups.');
  }
  const id = details?.id ?? body.volumeBackupId;
  if (id === undefined) invalid('Holdfast creates volumes by restoring a volume backup: give sourceDetails {type: volumeBackup, id}.', 'MissingParameter');
  return id;
}

function ociAttributes(body: CreateVolumeBody, compartmentId: string): Record<string, unknown> {
  return {
    [COMPARTMENT_ATTRIBUTE]: compartmentId, [ATTR.availabilityDomain]: body.availabilityDomain ?? DEFAULT_AVAILABILITY_DOMAIN,
    ...(body.displayName === undefined ? {} : { [ATTR.displayName]: body.displayName }),
    ...(body.freeformTags === undefined ? {} : { [ATTR.freeformTags]: body.freeformTags }),
    ...(body.definedTags === undefined ? {} : { [ATTR.definedTags]: body.definedTags }),
    ...(body.kmsKeyId === undefined ? {} : { [ATTR.kmsKeyId]: body.kmsKeyId }),
  };
}

function createRoute(server: FastifyInstance, app: AppContext): void {
  server.post('/volumes', { schema: { body: createVolumeBody } }, (req, reply) => withRetryToken(app, req, reply, async () => {
    const who = callerOf(req);
    const body = (req.body ?? {}) as CreateVolumeBody;
    if (body.compartmentId === undefined) invalid('compartmentId is required.', 'MissingParameter');
    const backupOcid = sourceBackupOf(body);
    const compartmentId = checkCompartment(await ownTenant(app, who), body.compartmentId);
    const backup = await findVolumeBackup(app, who, backupOcid);
    const { resource } = await restoreIntoNewVolume(app, who, { backupId: backup.id, attributes: ociAttributes(body, compartmentId) });
    return { status: 200, body: await model(app, who, await volumeView(app, who, resource)) };
  }));
}

function readRoutes(server: FastifyInstance, app: AppContext): void {
  server.get('/volumes/:id', { schema: { params: idParam } }, async (req, reply) => {
    const who = callerOf(req);
    return sendModel(reply, await model(app, who, await volumeOrTombstone(app, who, idOf(req))));
  });
  server.get('/volumes', { schema: { querystring: listVolumesQuery } }, async (req, reply) => {
    const page = await listVolumes(app, callerOf(req), req.query as VolumeListQuery);
    if (page.next !== undefined) void reply.header('opc-next-page', page.next);
    return reply.send(page.items);
  });
}

function changeRoutes(server: FastifyInstance, app: AppContext): void {
  server.put('/volumes/:id', { schema: { params: idParam, body: updateVolumeBody } }, async (req, reply) => {
    const who = callerOf(req);
    const volume = await findVolume(app, who, idOf(req));
    checkIfMatch(req, await model(app, who, await volumeView(app, who, volume)));
    const body = (req.body ?? {}) as UpdateVolumeBody;
    const updated = await updateResource(app, who, volume.id, {
      attributes: {
        ...(body.displayName === undefined ? {} : { [ATTR.displayName]: body.displayName }),
        ...(body.freeformTags === undefined ? {} : { [ATTR.freeformTags]: body.freeformTags }),
        ...(body.definedTags === undefined ? {} : { [ATTR.definedTags]: body.definedTags }),
      },
    });
    return sendModel(reply, await model(app, who, await volumeView(app, who, updated)));
  });
  server.delete('/volumes/:id', { schema: { params: idParam } }, async (req, reply) => {
    const who = callerOf(req);
    const volume = await findVolume(app, who, idOf(req));
    checkIfMatch(req, await model(app, who, await volumeView(app, who, volume)));
    await deleteVolume(app, who, volume.id);
    return reply.status(204).send();
  });
}

export async function volumeRoutes(server: FastifyInstance, app: AppContext): Promise<void> {
  createRoute(server, app);
  readRoutes(server, app);
  changeRoutes(server, app);
}
