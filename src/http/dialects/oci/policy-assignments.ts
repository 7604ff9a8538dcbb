/**
 * /20160918/volumeBackupPolicyAssignments: assign a policy to a volume (a
 * volume's earlier assignment is replaced, as OCI does), get an assignment by
 * its OCID or by its volume (`assetId`, a list of at most one), delete it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../app/context.js';
import { fail } from '../../../common/errors.js';
import { findVolume } from './lookups.js';
import { assign, unassign } from './policy-groups.js';
import { assignmentOf, findAssignment, findPolicy, renderAssignment } from './policy-model.js';
import { assetAssignmentQuery, assignmentIdParam, createAssignmentBody } from './policy-schemas.js';
import { callerOf, checkIfMatch, sendModel, withRetryToken } from './replies.js';
import { orderOf, pageOf } from './paging.js';

interface AssignmentBody {
  readonly assetId: string;
  readonly policyId: string;
  readonly xrcKmsKeyId?: string;
}

function assignmentIdOf(req: FastifyRequest): string {
  return (req.params as { policyAssignmentId: string }).policyAssignmentId;
}

export function assignmentRoutes(server: FastifyInstance, app: AppContext): void {
  server.post('/volumeBackupPolicyAssignments', { schema: { body: createAssignmentBody } }, (req, reply) => withRetryToken(app, req, reply, async () => {
    const who = callerOf(req);
    const body = req.body as AssignmentBody;
    const volume = await findVolume(app, who, body.assetId);
    const found = await findPolicy(app, who, body.policyId);
    const target = 'key' in found ? { key: found.key } : found;
    const { group, assignment } = await assign(app, who, target, { resourceId: volume.id, ...(body.xrcKmsKeyId === undefined ? {} : { xrcKmsKeyId: body.xrcKmsKeyId }) });
    return { status: 200, body: renderAssignment(group, assignment) };
  }));
  server.get('/volumeBackupPolicyAssignments/:policyAssignmentId', { schema: { params: assignmentIdParam } }, async (req, reply) => {
    const { group, assignment } = await findAssignment(app, callerOf(req), assignmentIdOf(req));
    return sendModel(reply, renderAssignment(group, assignment));
  });
  server.get('/volumeBackupPolicyAssignments', { schema: { querystring: assetAssignmentQuery } }, async (req, reply) => {
    const who = callerOf(req);
    const q = req.query as { assetId?: string; limit: number; page?: string };
    if (q.assetId === undefined) throw fail('INVALID_ARGUMENT', 'assetId is required.', { data: { ociCode: 'MissingParameter' } });
    const found = await assignmentOf(app, who, (await findVolume(app, who, q.assetId)).id);
    const models = found === undefined ? [] : [renderAssignment(found.group, found.assignment)];
    const page = pageOf(models, orderOf({}), q.limit, q.page);
    if (page.next !== undefined) void reply.header('opc-next-page', page.next);
    return reply.send(page.items);
  });
  server.delete('/volumeBackupPolicyAssignments/:policyAssignmentId', { schema: { params: assignmentIdParam } }, async (req, reply) => {
    const who = callerOf(req);
    const { group, assignment } = await findAssignment(app, who, assignmentIdOf(req));
    checkIfMatch(req, renderAssignment(group, assignment));
    if (!(await unassign(app, who, assignment.id))) throw fail('NOT_FOUND', 'Authorization failed or requested resource not found: volume backup policy assignment.');
    return reply.status(204).send();
  });
}
