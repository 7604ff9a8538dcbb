/**
 * Volume resources as the inventory holds them, and the use case that makes
 * new ones: restoring a volume backup into a new volume registered in the
 * inventory (DESIGN.md §4, last paragraph), its data at a path of its own under
 * the server's volumes directory. A restored volume remembers its source backup
 * and its restore job; the job's state is the volume's until the job ends.
 *
 * Deleting a volume unregisters it and removes its data only when Holdfast made
 * that data (a restored volume directly under the volumes directory): a volume
 * that names a user's own disk or directory never loses a byte. The deletion is
 * recorded as an already settled `unregister` job holding the volume as it was,
 * so a dialect that keeps showing deleted objects for a while (OCI's TERMINATED)
 * finds it there, and the record doubles as the audit trail.
 */
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { sleep } from '../common/concurrency.js';
import { fail, isHoldfastError } from '../common/errors.js';
import type { Backup, Job, Resource } from '../catalog/index.js';
import { driverFor } from '../source/registry.js';
import { cancelJob, getBackupRecord, getJob, requestRestore } from './backups.js';
import type { AppContext, Principal } from './context.js';
import { newId } from './context.js';
import { createResource, getResource } from './resources.js';

/** Attributes a restored volume carries (the Holdfast ids of its source backup and of the job restoring it). */
export const SOURCE_BACKUP_ATTRIBUTE = 'sourceBackupId';
export const RESTORE_JOB_ATTRIBUTE = 'restoreJobId';
/** The job kind that records a volume's deletion. */
export const UNREGISTER_JOB = 'unregister';

export type VolumeState = 'RESTORING' | 'AVAILABLE' | 'FAILED' | 'DELETED';

/** A volume with what its answer needs: its state, its size in bytes and, once deleted, when. */
export interface VolumeView {
  /** For a deleted volume: the resource as it was when deleted. */
  readonly resource: Resource;
  readonly state: VolumeState;
  readonly sizeBytes: number;
  readonly deletedAt?: string;
}

export interface NewVolumeFromBackup {
  readonly backupId: string;
  /** The caller's own attributes for the new resource (e.g. a dialect's compartment). */
  readonly attributes?: Record<string, unknown>;
}

export function volumesDirOf(app: AppContext): string {
  return resolve(app.volumesDir ?? join(app.dataDir, 'volumes'));
}

function stringAttribute(resource: Resource, key: string): string | undefined {
  const v = resource.attributes[key];
  return typeof v === 'string' ? v : undefined;
}

async function restorableBackup(app: AppContext, who: Principal, backupId: string): Promise<Backup> {
  const backup = await getBackupRecord(app, who, backupId);
  if (backup.state !== 'AVAILABLE') throw fail('CONFLICT', `backup ${backupId} is ${backup.state}, not AVAILABLE`);
  const source = await getResource(app, who, backup.resourceId).catch(() => undefined);
  // The restore reads the archived path the source volume's config names, so the source must still be registered.
  if (source === undefined) throw fail('INVALID_ARGUMENT', `backup ${backupId} is of a volume that is no longer registered; it cannot be restored into a new volume`);
  if (source.driver !== 'volume') throw fail('INVALID_ARGUMENT', `backup ${backupId} is of a ${source.driver} resource, not of a volume`);
  return backup;
}

/** How long a restore waits for the job of a backup that is AVAILABLE to be settled. */
const SETTLE_WAIT_MS = 5000;
const SETTLE_POLL_MS = 50;

/**
 * Queues the restore job. A backup turns AVAILABLE just before its own job is
 * settled, and that job holds the source volume until then: a restore asked
 * for in that moment (a client that polled AVAILABLE and went on at once)
 * waits for the settlement instead of failing with CONFLICT.
 */
async function queueRestore(app: AppContext, who: Principal, backup: Backup, target: { path: string }): Promise<Job> {
  for (let waited = 0; ; waited += SETTLE_POLL_MS) {
    try {
      return await requestRestore(app, who, backup.id, target);
    } catch (err) {
      const settling = isHoldfastError(err, 'CONFLICT') && backup.jobId !== null && err.data['jobId'] === backup.jobId;
      if (!settling || waited >= SETTLE_WAIT_MS) throw err;
      await sleep(SETTLE_POLL_MS);
    }
  }
}

/**
 * Queues the restore of an AVAILABLE volume backup into a new file or directory
 * (as the source was) under the volumes directory and registers it as a volume.
 * The job is queued first: when it cannot be (CONFLICT: the source volume has
 * a mutating job running), nothing is registered.
 */
export async function restoreIntoNewVolume(app: AppContext, who: Principal, req: NewVolumeFromBackup): Promise<{ resource: Resource; job: Job }> {
  const backup = await restorableBackup(app, who, req.backupId);
  const dir = volumesDirOf(app);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const name = `volume-${app.random.bytes(12).toString('hex')}`;
  const path = join(dir, name);
  const job = await queueRestore(app, who, backup, { path });
  try {
    const attributes = { ...req.attributes, [SOURCE_BACKUP_ATTRIBUTE]: backup.id, [RESTORE_JOB_ATTRIBUTE]: job.id };
    const resource = await createResource(app, who, { name, driver: 'volume', config: { path }, attributes });
    return { resource, job };
  } catch (err) {
    await cancelJob(app, who, job.id).catch(() => undefined);
    throw err;
  }
}

async function restoreState(app: AppContext, who: Principal, resource: Resource): Promise<Exclude<VolumeState, 'DELETED'>> {
  const jobId = stringAttribute(resource, RESTORE_JOB_ATTRIBUTE);
  if (jobId === undefined) return 'AVAILABLE';
  const job = await getJob(app, who, jobId).catch(() => undefined);
  if (job === undefined) return 'FAILED';
  if (job.state === 'SUCCEEDED') return 'AVAILABLE';
  return job.state === 'ACCEPTED' || job.state === 'IN_PROGRESS' ? 'RESTORING' : 'FAILED';
}

/** Bytes of a backup's data (null when unknown). */
async function backupBytes(app: AppContext, who: Principal, backupId: string): Promise<number | null> {
  return (await getBackupRecord(app, who, backupId).catch(() => undefined))?.logicalBytes ?? null;
}

/**
 * The volume's size: a file's own size; otherwise (a directory, a block device,
 * a restore not yet done) the logical size of the backup it was restored from,
 * or of its newest available backup; 0 when nothing tells.
 */
async function sizeOf(app: AppContext, who: Principal, resource: Resource, state: VolumeState): Promise<number> {
  if (state === 'AVAILABLE') {
    const own = await driverFor(resource.driver).size?.(resource.config).catch(() => undefined);
    if (own !== undefined) return own;
  }
  const source = stringAttribute(resource, SOURCE_BACKUP_ATTRIBUTE);
  if (source !== undefined) return (await backupBytes(app, who, source)) ?? 0;
  const newest = await app.catalog.backups.list(who.tenantId, { resourceId: resource.id, state: 'AVAILABLE' }, { limit: 1 });
  return newest.items[0]?.logicalBytes ?? 0;
}

export async function volumeView(app: AppContext, who: Principal, resource: Resource): Promise<VolumeView> {
  const state = await restoreState(app, who, resource);
  return { resource, state, sizeBytes: await sizeOf(app, who, resource, state) };
}

/** A registered volume of the caller's tenant; NOT_FOUND for anything else. */
export async function getVolume(app: AppContext, who: Principal, id: string): Promise<Resource> {
  const resource = await getResource(app, who, id);
  if (resource.driver !== 'volume') throw fail('NOT_FOUND', `no volume ${id}`);
  return resource;
}

/** Every registered volume of the caller's tenant. */
export async function allVolumes(app: AppContext, who: Principal): Promise<Resource[]> {
  const out: Resource[] = [];
  let after: string | undefined;
  do {
    const page = await app.catalog.resources.list(who.tenantId, { limit: 1000, ...(after === undefined ? {} : { after }) });
    out.push(...page.items.filter((r) => r.driver === 'volume'));
    after = page.next;
  } while (after !== undefined);
  return out;
}

interface Tombstone {
  readonly resource: Resource;
  readonly sizeBytes: number;
  readonly dataRemoved: boolean;
}

function deletedView(job: Job): VolumeView {
  const t = job.params as Tombstone;
  return { resource: t.resource, state: 'DELETED', sizeBytes: t.sizeBytes, deletedAt: job.createdAt };
}

/** Volumes deleted at or after `sinceIso` (an RFC 3339 instant), newest first. */
export async function deletedVolumes(app: AppContext, who: Principal, sinceIso: string): Promise<VolumeView[]> {
  const out: VolumeView[] = [];
  let after: string | undefined;
  do {
    const page = await app.catalog.jobs.list(who.tenantId, { kind: UNREGISTER_JOB }, { limit: 200, ...(after === undefined ? {} : { after }) });
    const recent = page.items.filter((j) => j.createdAt >= sinceIso);
    out.push(...recent.map(deletedView));
    after = recent.length === page.items.length ? page.next : undefined;
  } while (after !== undefined);
  return out;
}

/** The volume `id` if it was deleted at or after `sinceIso`. */
export async function deletedVolume(app: AppContext, who: Principal, id: string, sinceIso: string): Promise<VolumeView | undefined> {
  const page = await app.catalog.jobs.list(who.tenantId, { kind: UNREGISTER_JOB, resourceId: id }, { limit: 1 });
  const job = page.items[0];
  return job !== undefined && job.createdAt >= sinceIso ? deletedView(job) : undefined;
}

/** Whether Holdfast made this volume's data: restored by it, directly under the volumes directory. */
export function ownsData(app: AppContext, resource: Resource): boolean {
  const path = (resource.config as { path?: unknown }).path;
  if (typeof path !== 'string' || stringAttribute(resource, SOURCE_BACKUP_ATTRIBUTE) === undefined) return false;
  return dirname(resolve(path)) === volumesDirOf(app) && resolve(path) !== volumesDirOf(app);
}

/** A restore still queued is canceled; one already writing makes the deletion wait (CONFLICT). */
async function stopRestore(app: AppContext, who: Principal, resource: Resource): Promise<void> {
  const jobId = stringAttribute(resource, RESTORE_JOB_ATTRIBUTE);
  const job = jobId === undefined ? undefined : await getJob(app, who, jobId).catch(() => undefined);
  if (job === undefined || (job.state !== 'ACCEPTED' && job.state !== 'IN_PROGRESS')) return;
  const after = job.state === 'ACCEPTED' ? await cancelJob(app, who, job.id) : job;
  if (after.state === 'IN_PROGRESS') throw fail('CONFLICT', `volume ${resource.id} is still being restored; delete it once the restore has ended`);
}

async function checkIdle(app: AppContext, who: Principal, resource: Resource): Promise<void> {
  for (const state of ['ACCEPTED', 'IN_PROGRESS'] as const) {
    const busy = (await app.catalog.jobs.list(who.tenantId, { resourceId: resource.id, state }, { limit: 50 })).items.find((j) => j.mutating);
    if (busy !== undefined) throw fail('CONFLICT', `volume ${resource.id} has a ${busy.kind} job in progress: ${busy.id}`, { data: { jobId: busy.id } });
  }
}

/**
 * Unregisters a volume and records the deletion; then removes its data if
 * Holdfast made it. Refused (CONFLICT) while a job works on the volume. The
 * data goes after the catalog commit: a crash in between leaves an unused
 * file under the volumes directory, never a registered volume without data.
 */
export async function deleteVolume(app: AppContext, who: Principal, id: string): Promise<{ dataRemoved: boolean }> {
  const resource = await getVolume(app, who, id);
  await stopRestore(app, who, resource);
  await checkIdle(app, who, resource);
  const view = await volumeView(app, who, resource);
  const tombstone: Tombstone = { resource, sizeBytes: view.sizeBytes, dataRemoved: ownsData(app, resource) };
  await app.catalog.transaction(async (tx) => {
    if (!(await tx.resources.delete(who.tenantId, id))) throw fail('NOT_FOUND', `no volume ${id}`);
    await tx.jobs.create({
      id: newId(app.random, 'job'), tenantId: who.tenantId, kind: UNREGISTER_JOB, resourceId: id, backupId: null, mutating: false, state: 'SUCCEEDED', params: tombstone,
    });
  });
  if (tombstone.dataRemoved) await rm((resource.config as { path: string }).path, { recursive: true, force: true });
  return { dataRemoved: tombstone.dataRemoved };
}
