/**
 * /20160918/volumeBackupPolicies and /volumeBackupPolicyAssignments: user
 * policies (create, get, list by compartment, update, delete), Oracle's
 * predefined ones (listed without a compartment; read-only), and assigning a
 * policy to a volume, whose SCHEDULED backups the core scheduler then makes
 * and expires (policy-groups.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../app/context.js';
import { nowIso } from '../../../app/context.js';
import { ownTenant } from '../../../app/tenants.js';
import { fail } from '../../../common/errors.js';
import { normalizeSchedule, type OciSchedule, type ScheduleInput } from './backup-schedules.js';
import { checkCompartment } from './compartments.js';
import { createGroup, deleteGroup, listGroups, updateGroup, type PolicyDocument, type PolicyGroup } from './policy-groups.js';
import { findPolicy, renderPolicy, renderPredefined } from './policy-model.js';
import { createPolicyBody, listPoliciesQuery, policyIdParam, updatePolicyBody } from './policy-schemas.js';
import { assignmentRoutes } from './policy-assignments.js';
import { PREDEFINED } from './predefined-policies.js';
import { callerOf, checkIfMatch, sendModel, withRetryToken } from './replies.js';
import type { TagFields } from './schemas.js';
import { orderOf, pageOf } from './paging.js';

interface PolicyBody extends TagFields {
  readonly compartmentId?: string;
  readonly destinationRegion?: string;
  readonly schedules?: readonly ScheduleInput[];
}

function policyIdOf(req: FastifyRequest): string {
  return (req.params as { policyId: string }).policyId;
}

function schedulesOf(body: PolicyBody): OciSchedule[] | undefined {
  return body.schedules?.map(normalizeSchedule);
}

/** OCI's generated name for a policy made without one: the type and the creation time. */
function defaultName(timeCreated: string): string {
  return `volumebackuppolicy${timeCreated.replace(/[^0-9]/g, '').slice(0, 14)}`;
}

/** The document after an update: absent fields stay; destinationRegion `none` removes it, as OCI documents. */
function updatedDoc(doc: PolicyDocument, body: PolicyBody): PolicyDocument {
  const { destinationRegion: _old, ...rest } = doc;
  const region = body.destinationRegion ?? doc.destinationRegion;
  return {
    ...rest, ...(region === undefined || region === 'none' ? {} : { destinationRegion: region }),
    ...(body.displayName === undefined ? {} : { displayName: body.displayName }),
    ...(body.freeformTags === undefined ? {} : { freeformTags: body.freeformTags }),
    ...(body.definedTags === undefined ? {} : { definedTags: body.definedTags }),
  };
}

function createRoute(server: FastifyInstance, app: AppContext): void {
  server.post('/volumeBackupPolicies', { schema: { body: createPolicyBody } }, (req, reply) => withRetryToken(app, req, reply, async () => {
    const who = callerOf(req);
    const body = req.body as PolicyBody & { compartmentId: string };
    const compartmentId = checkCompartment(await ownTenant(app, who), body.compartmentId);
    const timeCreated = nowIso(app.clock);
    const doc: PolicyDocument = {
      displayName: body.displayName ?? defaultName(timeCreated), compartmentId, timeCreated, freeformTags: body.freeformTags ?? {}, definedTags: body.definedTags ?? {},
      ...(body.destinationRegion === undefined || body.destinationRegion === 'none' ? {} : { destinationRegion: body.destinationRegion }),
    };
    return { status: 200, body: renderPolicy(await createGroup(app, who, doc, schedulesOf(body) ?? [])) };
  }));
}

function readRoutes(server: FastifyInstance, app: AppContext): void {
  server.get('/volumeBackupPolicies/:policyId', { schema: { params: policyIdParam } }, async (req, reply) => {
    const found = await findPolicy(app, callerOf(req), policyIdOf(req));
    return sendModel(reply, 'key' in found ? renderPolicy(found) : renderPredefined(found));
  });
  server.get('/volumeBackupPolicies', { schema: { querystring: listPoliciesQuery } }, async (req, reply) => {
    const who = callerOf(req);
    const q = req.query as { compartmentId?: string; limit: number; page?: string };
    let models = PREDEFINED.map(renderPredefined);
    if (q.compartmentId !== undefined) {
      const compartmentId = checkCompartment(await ownTenant(app, who), q.compartmentId);
      models = (await listGroups(app, who)).filter((g) => g.doc.predefined === undefined && g.doc.compartmentId === compartmentId).map(renderPolicy);
    }
    const page = pageOf(models, orderOf({}), q.limit, q.page);
    if (page.next !== undefined) void reply.header('opc-next-page', page.next);
    return reply.send(page.items);
  });
}

function changeRoutes(server: FastifyInstance, app: AppContext): void {
  const own = async (req: FastifyRequest): Promise<PolicyGroup> => {
    const who = callerOf(req);
    const found = await findPolicy(app, who, policyIdOf(req));
    if (!('key' in found)) throw fail('INVALID_ARGUMENT', `The Oracle defined volume backup policy ${found.name} cannot be changed.`);
    checkIfMatch(req, renderPolicy(found));
    return found;
  };
  server.put('/volumeBackupPolicies/:policyId', { schema: { params: policyIdParam, body: updatePolicyBody } }, (req, reply) => withRetryToken(app, req, reply, async () => {
    const group = await own(req);
    const body = (req.body ?? {}) as PolicyBody;
    const schedules = schedulesOf(body);
    const updated = await updateGroup(app, callerOf(req), group.key, { doc: updatedDoc(group.doc, body), ...(schedules === undefined ? {} : { schedules }) });
    return { status: 200, body: renderPolicy(updated) };
  }));
  server.delete('/volumeBackupPolicies/:policyId', { schema: { params: policyIdParam } }, async (req, reply) => {
    const group = await own(req);
    await deleteGroup(app, callerOf(req), group.key);
    return reply.status(204).send();
  });
}

export async function policyRoutes(server: FastifyInstance, app: AppContext): Promise<void> {
  createRoute(server, app);
  readRoutes(server, app);
  changeRoutes(server, app);
  assignmentRoutes(server, app);
}
