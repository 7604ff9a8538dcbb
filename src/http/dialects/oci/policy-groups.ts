/**
 * An OCI volume backup policy kept as a group of core policies, one per
 * schedule (docs/decisions.md, "OCI volume backup policies"): core policy i
 * has schedule i's cron and retention, and covers the volumes the OCI policy
 * is assigned to. The policy document (display name, compartment, tags) and
 * the assignments live in the attributes of row 0, which stays as long as the
 * policy does, so its id gives the policy's OCID. A policy without schedules
 * keeps a row 0 that covers nothing. Every change rewrites the group in one
 * catalog transaction.
 */
import type { AppContext, Principal } from '../../../app/context.js';
import { newId, nowIso } from '../../../app/context.js';
import { createPolicy, deletePolicy, listPolicies, updatePolicy, type PolicyInput } from '../../../app/policies.js';
import { getResource } from '../../../app/resources.js';
import type { Catalog, Policy } from '../../../catalog/index.js';
import { fail } from '../../../common/errors.js';
import { NO_SCHEDULE, scheduleSpec, type OciSchedule } from './backup-schedules.js';
import { PREDEFINED_TIME_CREATED, type PredefinedPolicy } from './predefined-policies.js';

export interface PolicyDocument {
  readonly displayName: string;
  /** Absent for a tenant's copy of a predefined policy. */
  readonly compartmentId?: string;
  readonly destinationRegion?: string;
  readonly freeformTags: Record<string, string>;
  readonly definedTags: Record<string, Record<string, unknown>>;
  readonly timeCreated: string;
  /** gold, silver or bronze: the tenant's copy of that predefined policy, made by its first assignment. */
  readonly predefined?: string;
}

export interface Assignment {
  readonly id: string;
  readonly resourceId: string;
  readonly timeCreated: string;
  readonly xrcKmsKeyId?: string;
}

export interface PolicyGroup {
  /** Names the group's rows: `oci-<key>-<index>`. */
  readonly key: string;
  /** The id of row 0, for the OCID. */
  readonly headId: string;
  readonly rows: readonly Policy[];
  readonly doc: PolicyDocument;
  readonly schedules: readonly OciSchedule[];
  readonly assignments: readonly Assignment[];
}

interface GroupState {
  readonly doc: PolicyDocument;
  readonly schedules: readonly OciSchedule[];
  readonly assignments: readonly Assignment[];
}

interface RowAttributes {
  readonly key: string;
  readonly index: number;
  readonly schedule: OciSchedule | null;
  readonly doc?: PolicyDocument;
  readonly assignments?: readonly Assignment[];
}

const ATTRIBUTE = 'ociVolumeBackupPolicy';

function rowOf(p: Policy): RowAttributes | undefined {
  const a = p.attributes[ATTRIBUTE];
  return typeof a === 'object' && a !== null ? (a as RowAttributes) : undefined;
}

function toGroup(key: string, rows: Policy[]): PolicyGroup | undefined {
  rows.sort((x, y) => rowOf(x)!.index - rowOf(y)!.index);
  const head = rowOf(rows[0]!)!;
  if (head.index !== 0 || head.doc === undefined) return undefined;
  const schedules = rows.map((r) => rowOf(r)!.schedule).filter((s): s is OciSchedule => s !== null);
  return { key, headId: rows[0]!.id, rows, doc: head.doc, schedules, assignments: head.assignments ?? [] };
}

/** The tenant's OCI policies (its copies of predefined ones included), from its core policies. */
export async function listGroups(app: AppContext, who: Principal): Promise<PolicyGroup[]> {
  const byKey = new Map<string, Policy[]>();
  for (const p of await listPolicies(app, who)) {
    const key = rowOf(p)?.key;
    if (key !== undefined) byKey.set(key, [...(byKey.get(key) ?? []), p]);
  }
  return [...byKey].map(([key, rows]) => toGroup(key, rows)).filter((g): g is PolicyGroup => g !== undefined);
}

function inTransaction<T>(app: AppContext, work: (tx: AppContext) => Promise<T>): Promise<T> {
  return app.catalog.transaction((stores) => work({ ...app, catalog: stores as Catalog }));
}

async function groupByKey(app: AppContext, who: Principal, key: string): Promise<PolicyGroup> {
  const group = (await listGroups(app, who)).find((g) => g.key === key);
  if (group === undefined) throw fail('NOT_FOUND', 'Authorization failed or requested resource not found: volume backup policy.');
  return group;
}

/** Row i gets schedule i (row 0 stays, also without schedules); rows past the schedules go. */
async function writeRows(app: AppContext, who: Principal, key: string, rows: readonly Policy[], want: GroupState): Promise<void> {
  const members = want.assignments.map((a) => a.resourceId);
  const count = Math.max(1, want.schedules.length);
  for (let i = 0; i < count; i++) {
    const schedule = want.schedules[i] ?? null;
    const spec = schedule === null ? NO_SCHEDULE : scheduleSpec(schedule);
    const row: RowAttributes = { key, index: i, schedule, ...(i === 0 ? { doc: want.doc, assignments: want.assignments } : {}) };
    const input: PolicyInput = {
      name: `oci-${key}-${i}`, resourceIds: schedule === null ? [] : members, schedule: spec.cron, timezone: spec.timezone,
      backupType: spec.backupType, retention: spec.retention, attributes: { [ATTRIBUTE]: row },
      copyToRegion: want.doc.destinationRegion ?? null,
    };
    const current = rows[i];
    if (current === undefined) await createPolicy(app, who, input);
    else await updatePolicy(app, who, current.id, input);
  }
  for (const row of rows.slice(count)) await deletePolicy(app, who, row.id);
}

/** The assignments whose volume still exists: a deleted volume's assignment ends with it. */
async function liveAssignments(app: AppContext, who: Principal, assignments: readonly Assignment[]): Promise<Assignment[]> {
  const out: Assignment[] = [];
  for (const a of assignments) if (await getResource(app, who, a.resourceId).then(() => true, () => false)) out.push(a);
  return out;
}

export async function createGroup(app: AppContext, who: Principal, doc: PolicyDocument, schedules: readonly OciSchedule[]): Promise<PolicyGroup> {
  const key = app.random.bytes(12).toString('hex');
  return inTransaction(app, async (tx) => {
    await writeRows(tx, who, key, [], { doc, schedules, assignments: [] });
    return groupByKey(tx, who, key);
  });
}

export async function updateGroup(app: AppContext, who: Principal, key: string, change: { doc?: PolicyDocument; schedules?: readonly OciSchedule[] }): Promise<PolicyGroup> {
  return inTransaction(app, async (tx) => {
    const g = await groupByKey(tx, who, key);
    const assignments = await liveAssignments(tx, who, g.assignments);
    await writeRows(tx, who, key, g.rows, { doc: change.doc ?? g.doc, schedules: change.schedules ?? g.schedules, assignments });
    return groupByKey(tx, who, key);
  });
}

/** Deletes the policy's core policies; CONFLICT while a volume is assigned to it. */
export async function deleteGroup(app: AppContext, who: Principal, key: string): Promise<void> {
  await inTransaction(app, async (tx) => {
    const g = await groupByKey(tx, who, key);
    if ((await liveAssignments(tx, who, g.assignments)).length > 0) throw fail('CONFLICT', 'The volume backup policy is assigned to volumes; delete its assignments first.');
    for (const row of g.rows) await deletePolicy(tx, who, row.id);
  });
}

async function withoutVolume(app: AppContext, who: Principal, g: PolicyGroup, resourceId: string): Promise<Assignment[]> {
  return liveAssignments(app, who, g.assignments.filter((a) => a.resourceId !== resourceId));
}

/** The tenant's copy of a predefined policy, made now if this is its first assignment. */
async function predefinedGroup(app: AppContext, who: Principal, p: PredefinedPolicy, groups: readonly PolicyGroup[]): Promise<PolicyGroup> {
  const own = groups.find((g) => g.doc.predefined === p.name);
  if (own !== undefined) return own;
  const key = `predefined-${p.name}`;
  const doc: PolicyDocument = { displayName: p.name, freeformTags: {}, definedTags: {}, timeCreated: PREDEFINED_TIME_CREATED, predefined: p.name };
  await writeRows(app, who, key, [], { doc, schedules: p.schedules, assignments: [] });
  return groupByKey(app, who, key);
}

/**
 * Assigns the policy to a volume. A volume has one policy at a time: as OCI
 * does, an assignment to another policy is replaced silently.
 */
export async function assign(
  app: AppContext, who: Principal, target: { key: string } | PredefinedPolicy, volume: { resourceId: string; xrcKmsKeyId?: string },
): Promise<{ group: PolicyGroup; assignment: Assignment }> {
  return inTransaction(app, async (tx) => {
    const groups = await listGroups(tx, who);
    for (const g of groups.filter((x) => x.assignments.some((a) => a.resourceId === volume.resourceId))) {
      await writeRows(tx, who, g.key, g.rows, { ...g, assignments: await withoutVolume(tx, who, g, volume.resourceId) });
    }
    const group = 'key' in target ? await groupByKey(tx, who, target.key) : await predefinedGroup(tx, who, target, await listGroups(tx, who));
    const assignment: Assignment = { id: newId(tx.random, 'asg'), resourceId: volume.resourceId, timeCreated: nowIso(tx.clock), ...(volume.xrcKmsKeyId === undefined ? {} : { xrcKmsKeyId: volume.xrcKmsKeyId }) };
    const schedules = 'key' in target ? group.schedules : target.schedules;
    await writeRows(tx, who, group.key, group.rows, { doc: group.doc, schedules, assignments: [...await withoutVolume(tx, who, group, volume.resourceId), assignment] });
    return { group: await groupByKey(tx, who, group.key), assignment };
  });
}

/** Ends an assignment: its volume leaves the policy's core policies. False when there is no such assignment. */
export async function unassign(app: AppContext, who: Principal, assignmentId: string): Promise<boolean> {
  return inTransaction(app, async (tx) => {
    const g = (await listGroups(tx, who)).find((x) => x.assignments.some((a) => a.id === assignmentId));
    if (g === undefined) return false;
    await writeRows(tx, who, g.key, g.rows, { ...g, assignments: await liveAssignments(tx, who, g.assignments.filter((a) => a.id !== assignmentId)) });
    return true;
  });
}
