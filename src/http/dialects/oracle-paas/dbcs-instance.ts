/**
 * The service instance the DBCS answers' `Service-URI` names
 * (`GET /paas/service/dbcs/api/v1.1/instances/{dom}/{svc}`), in the shape of
 * Oracle's instance view (paas-otc.md §2.3): the database resource as the
 * service, always Running (Holdfast backs the database up, it does not run it).
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app/context.js';
import { callerOf } from './auth.js';
import { DBCS_BASE, dbcsParamsOf } from './dbcs-backups.js';
import { findInstance, serviceNameOf } from './lookups.js';
import { baseUrlOf, dbcsServicePath } from './replies.js';
import { instanceParams } from './schemas.js';

export async function dbcsInstanceRoutes(server: FastifyInstance, app: AppContext): Promise<void> {
  server.get(`${DBCS_BASE}/:serviceId`, { schema: { params: instanceParams } }, async (req) => {
    const caller = callerOf(req);
    const instance = await findInstance(app, caller.principal, dbcsParamsOf(req).serviceId);
    const name = serviceNameOf(instance);
    return {
      service_name: name, service_type: 'dbaas', status: 'Running', identity_domain: caller.domain,
      description: `${instance.driver} database backed up by Holdfast`, creation_time: instance.createdAt,
      last_modified_time: instance.updatedAt, service_uri: `${baseUrlOf(app, req)}${dbcsServicePath(caller.domain, name)}`,
    };
  });
}
