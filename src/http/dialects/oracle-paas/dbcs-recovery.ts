/**
 * Database Classic recovery (paas-otc.md §2.4): `POST /{svc}/backups/recovery`
 * with exactly one of `latest` (true or "true"), `tag` (a dbTag of the
 * backup list) or `timestamp` (`dd-MMM-yyyy HH:mm:ss`, UTC), optionally
 * `keepForever`, restores the instance in place through the core's recovery
 * use case; answered as a backup start is (202, Location `…/status/recovery/
 * job/{n}`). Recovery to an SCN is refused: Holdfast keeps no redo positions.
 * `GET /{svc}/backups/recovery/history` lists them, newest first.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app/context.js';
import { listRecoveries, requestRecovery, type RecoveryChoice } from '../../../app/recovery.js';
import { fail } from '../../../common/errors.js';
import { callerOf } from './auth.js';
import { parseDbcsTimestamp } from './dates.js';
import { DBCS_BASE, dbcsLinks, dbcsParamsOf } from './dbcs-backups.js';
import { renderRecovery } from './dbcs-model.js';
import { withNumericJobId } from './job-ids.js';
import { findInstance } from './lookups.js';
import { sendAccepted } from './replies.js';
import { instanceParams, recoveryBody } from './schemas.js';

interface RecoveryBody {
  readonly latest?: boolean | string;
  readonly tag?: string;
  readonly timestamp?: string;
  readonly scn?: string | number;
  readonly keepForever?: boolean;
}

function latestOf(value: boolean | string | undefined): boolean {
  if (value === undefined || typeof value === 'boolean') return value === true;
  if (/^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw fail('INVALID_ARGUMENT', 'latest must be true or false');
}

export function recoveryChoiceOf(body: RecoveryBody): RecoveryChoice {
  if (body.scn !== undefined) throw fail('INVALID_ARGUMENT', 'Recovery to an SCN is not supported; give latest, tag or timestamp.');
  const latest = latestOf(body.latest);
  if ([latest, body.tag !== undefined, body.timestamp !== undefined].filter(Boolean).length !== 1) {
    throw fail('INVALID_ARGUMENT', 'Give exactly one of latest (true), tag or timestamp (dd-MMM-yyyy HH:mm:ss).');
  }
  if (latest) return { latest: true };
  if (body.tag !== undefined) return { tag: body.tag };
  return { timestamp: parseDbcsTimestamp(body.timestamp!) };
}

export async function dbcsRecoveryRoutes(server: FastifyInstance, app: AppContext): Promise<void> {
  server.post(`${DBCS_BASE}/:serviceId/backups/recovery`, { schema: { params: instanceParams, body: recoveryBody } }, async (req, reply) => {
    const caller = callerOf(req);
    const body = req.body as RecoveryBody;
    const choice = recoveryChoiceOf(body);
    const instance = await findInstance(app, caller.principal, dbcsParamsOf(req).serviceId);
    const { job } = await withNumericJobId(app.random, (jobId) => requestRecovery(app, caller.principal, instance.id, choice, {
      jobId, ...(body.keepForever === undefined ? {} : { keepForever: body.keepForever }),
    }));
    const links = dbcsLinks(app, req, caller, instance, 'recovery', job.id);
    return sendAccepted(reply, links.location, undefined, { 'service-uri': links.serviceUri });
  });
  server.get(`${DBCS_BASE}/:serviceId/backups/recovery/history`, { schema: { params: instanceParams } }, async (req) => {
    const caller = callerOf(req);
    const instance = await findInstance(app, caller.principal, dbcsParamsOf(req).serviceId);
    return { recoveryList: (await listRecoveries(app, caller.principal, instance.id)).map(renderRecovery) };
  });
}
