/**
 * The VolumeBackupPolicy and VolumeBackupPolicyAssignment resources rendered
 * from policy groups (policy-groups.ts) and Oracle's predefined policies, and
 * finding them by OCID (anything not the caller's is NotAuthorizedOrNotFound).
 */
import type { AppContext, Principal } from '../../../app/context.js';
import { getResource } from '../../../app/resources.js';
import { fail } from '../../../common/errors.js';
import { fromOcid, toOcid, VOLUME, VOLUME_BACKUP_POLICY, type OcidKind } from './ocids.js';
import { listGroups, type Assignment, type PolicyGroup } from './policy-groups.js';
import { PREDEFINED_TIME_CREATED, predefinedByName, predefinedByOcid, type PredefinedPolicy } from './predefined-policies.js';

export const VOLUME_BACKUP_POLICY_ASSIGNMENT: OcidKind = { ociType: 'volumebackuppolicyassignment', prefix: 'asg' };

type Model = Record<string, unknown>;

function notFound(what: string): never {
  throw fail('NOT_FOUND', `Authorization failed or requested resource not found: ${what}.`);
}

export function policyOcid(group: PolicyGroup): string {
  const predefined = group.doc.predefined === undefined ? undefined : predefinedByName(group.doc.predefined);
  return predefined?.ocid ?? toOcid(VOLUME_BACKUP_POLICY, group.headId);
}

export function renderPredefined(p: PredefinedPolicy): Model {
  return { displayName: p.name, id: p.ocid, schedules: p.schedules, timeCreated: PREDEFINED_TIME_CREATED, compartmentId: null, definedTags: {}, freeformTags: {} };
}

export function renderPolicy(group: PolicyGroup): Model {
  const predefined = group.doc.predefined === undefined ? undefined : predefinedByName(group.doc.predefined);
  if (predefined !== undefined) return renderPredefined(predefined);
  const d = group.doc;
  return {
    displayName: d.displayName, id: policyOcid(group), schedules: group.schedules, ...(d.destinationRegion === undefined ? {} : { destinationRegion: d.destinationRegion }),
    timeCreated: d.timeCreated, compartmentId: d.compartmentId ?? null, definedTags: d.definedTags, freeformTags: d.freeformTags,
  };
}

export function renderAssignment(group: PolicyGroup, a: Assignment): Model {
  return {
    assetId: toOcid(VOLUME, a.resourceId), id: toOcid(VOLUME_BACKUP_POLICY_ASSIGNMENT, a.id), policyId: policyOcid(group), timeCreated: a.timeCreated,
    ...(a.xrcKmsKeyId === undefined ? {} : { xrcKmsKeyId: a.xrcKmsKeyId }),
  };
}

/** A policy the caller made (not a copy of a predefined one), by OCID. */
export async function findOwnPolicy(app: AppContext, who: Principal, ocid: string): Promise<PolicyGroup> {
  const id = fromOcid(VOLUME_BACKUP_POLICY, ocid);
  const group = id === undefined ? undefined : (await listGroups(app, who)).find((g) => g.headId === id && g.doc.predefined === undefined);
  if (group === undefined) notFound(`volume backup policy ${ocid}`);
  return group;
}

/** What a policy OCID names: a predefined policy or one of the caller's. */
export async function findPolicy(app: AppContext, who: Principal, ocid: string): Promise<PredefinedPolicy | PolicyGroup> {
  return predefinedByOcid(ocid) ?? findOwnPolicy(app, who, ocid);
}

/** An assignment by OCID; one whose volume was deleted has ended with it. */
export async function findAssignment(app: AppContext, who: Principal, ocid: string): Promise<{ group: PolicyGroup; assignment: Assignment }> {
  const id = fromOcid(VOLUME_BACKUP_POLICY_ASSIGNMENT, ocid);
  for (const group of id === undefined ? [] : await listGroups(app, who)) {
    const assignment = group.assignments.find((a) => a.id === id);
    if (assignment !== undefined && (await getResource(app, who, assignment.resourceId).then(() => true, () => false))) return { group, assignment };
  }
  notFound(`volume backup policy assignment ${ocid}`);
}

/** The assignment of a volume, if it has one. */
export async function assignmentOf(app: AppContext, who: Principal, resourceId: string): Promise<{ group: PolicyGroup; assignment: Assignment } | undefined> {
  for (const group of await listGroups(app, who)) {
    const assignment = group.assignments.find((a) => a.resourceId === resourceId);
    if (assignment !== undefined) return { group, assignment };
  }
  return undefined;
}
