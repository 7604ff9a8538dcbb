/**
 * CopyVolumeBackup: a copy of an AVAILABLE backup into another configured
 * region (another repository of the tenant; docs/decisions.md "Regions and
 * copies"). The answer is the new backup, with the copy job as the work
 * request. The copy keeps the source's compartment and tags.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app/context.js';
import { requestCopy } from '../../../app/copies.js';
import { findVolumeBackup, volumeBackupModel } from './lookups.js';
import { callerOf, withRetryToken } from './replies.js';
import { copyVolumeBackupBody, idParam } from './schemas.js';
import { ociAttributes } from './volume-backup-model.js';

interface CopyBody {
  readonly destinationRegion: string;
  readonly displayName?: string;
  readonly kmsKeyId?: string;
}

export async function volumeBackupCopyRoutes(server: FastifyInstance, app: AppContext): Promise<void> {
  server.post('/volumeBackups/:id/actions/copy', { schema: { params: idParam, body: copyVolumeBackupBody } }, (req, reply) => withRetryToken(app, req, reply, async () => {
    const who = callerOf(req);
    const source = await findVolumeBackup(app, who, (req.params as { id: string }).id);
    const body = req.body as CopyBody;
    const oci = { ...ociAttributes(source), ...(body.kmsKeyId === undefined ? {} : { kmsKeyId: body.kmsKeyId }) };
    const { backup, job } = await requestCopy(app, who, source.id, {
      region: body.destinationRegion, extra: { oci }, ...(body.displayName === undefined ? {} : { name: body.displayName }),
    });
    void reply.header('opc-work-request-id', job.id);
    return { status: 200, body: await volumeBackupModel(app, who, backup) };
  }));
}
