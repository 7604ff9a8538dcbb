/** /20160918/volumeBackups: create, get, list, update, delete and change compartment of volume backups. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../app/context.js';
import { requestBackup, requestDelete, updateBackup } from '../../../app/backups.js';
import { ownTenant } from '../../../app/tenants.js';
import { checkCompartment, volumeCompartment } from './compartments.js';
import { findVolume, findVolumeBackup, volumeBackupModel } from './lookups.js';
import { callerOf, checkIfMatch, sendModel, sendPage, withRetryToken } from './replies.js';
import {
  changeCompartmentBody, createVolumeBackupBody, idParam, listVolumeBackupsQuery, updateVolumeBackupBody, type TagFields,
} from './schemas.js';
import { listVolumeBackups, type ListQuery } from './volume-backup-list.js';
import { etagOf, ociAttributes, renderVolumeBackup } from './volume-backup-model.js';

interface CreateBody extends TagFields {
  readonly volumeId: string;
  readonly type?: 'FULL' | 'INCREMENTAL';
}

function idOf(req: FastifyRequest): string {
  return (req.params as { id: string }).id;
}

function ociExtra(fields: TagFields, current: Record<string, unknown>): Record<string, unknown> {
  return {
    ...current,
    ...(fields.definedTags === undefined ? {} : { definedTags: fields.definedTags }),
    ...(fields.kmsKeyId === undefined ? {} : { kmsKeyId: fields.kmsKeyId }),
  };
}

function createRoute(server: FastifyInstance, app: AppContext): void {
  server.post('/volumeBackups', { schema: { body: createVolumeBackupBody } }, (req, reply) => withRetryToken(app, req, reply, async () => {
    const who = callerOf(req);
    const body = req.body as CreateBody;
    const volume = await findVolume(app, who, body.volumeId);
    const compartmentId = volumeCompartment(await ownTenant(app, who), volume);
    const { backup, job } = await requestBackup(app, who, {
      resourceId: volume.id, type: body.type ?? 'INCREMENTAL', tags: body.freeformTags ?? {},
      ...(body.displayName === undefined ? {} : { name: body.displayName }),
      extra: { oci: ociExtra(body, { compartmentId }) },
    });
    return { status: 200, body: renderVolumeBackup(backup, job.state, compartmentId) };
  }));
}

function readRoutes(server: FastifyInstance, app: AppContext): void {
  server.get('/volumeBackups/:id', { schema: { params: idParam } }, async (req, reply) => {
    const who = callerOf(req);
    return sendModel(reply, await volumeBackupModel(app, who, await findVolumeBackup(app, who, idOf(req))));
  });
  server.get('/volumeBackups', { schema: { querystring: listVolumeBackupsQuery } }, async (req, reply) => {
    return sendPage(reply, await listVolumeBackups(app, callerOf(req), req.query as ListQuery));
  });
}

function changeRoutes(server: FastifyInstance, app: AppContext): void {
  server.put('/volumeBackups/:id', { schema: { params: idParam, body: updateVolumeBackupBody } }, async (req, reply) => {
    const who = callerOf(req);
    const backup = await findVolumeBackup(app, who, idOf(req));
    checkIfMatch(req, await volumeBackupModel(app, who, backup));
    const body = (req.body ?? {}) as TagFields;
    const updated = await updateBackup(app, who, backup.id, {
      ...(body.displayName === undefined ? {} : { name: body.displayName }),
      ...(body.freeformTags === undefined ? {} : { tags: body.freeformTags }),
      extra: { oci: ociExtra(body, { ...ociAttributes(backup) }) },
    });
    return sendModel(reply, await volumeBackupModel(app, who, updated));
  });
  server.delete('/volumeBackups/:id', { schema: { params: idParam } }, async (req, reply) => {
    const who = callerOf(req);
    const backup = await findVolumeBackup(app, who, idOf(req));
    checkIfMatch(req, await volumeBackupModel(app, who, backup));
    if (backup.state === 'DELETED') return reply.status(404).send({ code: 'NotAuthorizedOrNotFound', message: 'The volume backup is already terminated.' });
    if (backup.state !== 'DELETING') await requestDelete(app, who, backup.id);
    return reply.status(204).send();
  });
  server.post('/volumeBackups/:id/actions/changeCompartment', { schema: { params: idParam, body: changeCompartmentBody } }, async (req, reply) => {
    const who = callerOf(req);
    const backup = await findVolumeBackup(app, who, idOf(req));
    const compartmentId = checkCompartment(await ownTenant(app, who), (req.body as { compartmentId: string }).compartmentId);
    const updated = await updateBackup(app, who, backup.id, { extra: { oci: { ...ociAttributes(backup), compartmentId } } });
    const model = await volumeBackupModel(app, who, updated);
    return reply.status(200).header('etag', etagOf(model)).send();
  });
}

export async function volumeBackupRoutes(server: FastifyInstance, app: AppContext): Promise<void> {
  createRoute(server, app);
  readRoutes(server, app);
  changeRoutes(server, app);
}
