/**
 * Issue 4's storage acceptance through the OCI SDK, on a 1 GiB volume of random
 * (incompressible) data: an INCREMENTAL after changing 1% stores under 5% of the
 * volume (uniqueSizeInMbs), a FULL re-reads every byte while an INCREMENTAL of
 * an unchanged volume reads none, the repository passes `restic check
 * --read-data`, and `restic restore` gives each imaged volume back byte for byte.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import * as common from 'oci-common';
import * as core from 'oci-core';
import { useApiServer } from '../api-fixture.js';
import { blockstorageClient, enableOci, newKey } from './oci-fixture.js';

const MIB = 1024 * 1024;
const VOLUME_BYTES = 1024 * MIB;
const CHUNK = 8 * MIB;
/** 1% of the volume: five 2 MiB runs, at unaligned offsets spread over it. */
const CHANGES = [37, 251, 499, 733, 1001].map((mib) => ({ offset: mib * MIB + 12_345, length: 2 * MIB }));

/** Writes `bytes` of random data in 8 MiB pieces; answers the image's sha256. */
function writeRandomImage(path: string, bytes: number): string {
  const hash = createHash('sha256');
  const buf = Buffer.alloc(CHUNK);
  const fd = openSync(path, 'w');
  try {
    for (let done = 0; done < bytes; done += CHUNK) {
      randomFillSync(buf);
      writeSync(fd, buf, 0, CHUNK);
      hash.update(buf);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

function overwrite(path: string, runs: readonly { offset: number; length: number }[]): void {
  const fd = openSync(path, 'r+');
  try {
    for (const r of runs) writeSync(fd, randomFillSync(Buffer.alloc(r.length)), 0, r.length, r.offset);
  } finally {
    closeSync(fd);
  }
}

function sha256File(path: string): string {
  const hash = createHash('sha256');
  const buf = Buffer.alloc(CHUNK);
  const fd = openSync(path, 'r');
  try {
    for (let n; (n = readSync(fd, buf, 0, CHUNK, null)) > 0;) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Bytes this process (the in-process server and its chunk workers included) passed to read(): the kernel's count. */
function bytesReadByProcess(): number | undefined {
  try {
    return Number(/^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);
  } catch {
    return undefined; // not Linux: the engine's own figure is then the only evidence
  }
}

describe('OCI volume backups of a 1 GiB volume: incremental size, FULL reads, restic check and restore', () => {
  const api = useApiServer('holdfast-oci-big-');
  const key = newKey();
  let client: core.BlockstorageClient;
  let work = '';
  let imagePath = '';
  let volumeOcid = '';
  const figures: Record<string, unknown> = {};
  const snapshots: { snapshot: string; sha256: string }[] = [];

  before(async () => {
    await enableOci(api(), key);
    client = blockstorageClient(api().url, key);
    work = mkdtempSync(join(api().dir, 'big-'));
    imagePath = join(work, 'disk.img');
  });
  after(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true });
    console.log(`figures: ${JSON.stringify(figures)}`);
  });

  const timed = async <T>(name: string, fn: () => T | Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      return await fn();
    } finally {
      figures[`${name}Seconds`] = (Date.now() - started) / 1000;
    }
  };

  /** Backs the volume up through the SDK; answers the AVAILABLE model, the native record and the kernel's read count. */
  const backUp = async (name: string, type: core.models.CreateVolumeBackupDetails.Type) => {
    const rcharBefore = bytesReadByProcess();
    const model = await timed(name, async () => {
      const created = await client.createVolumeBackup({ createVolumeBackupDetails: { volumeId: volumeOcid, displayName: name, type } });
      const waiter = client.createWaiters(undefined as unknown as never, {
        terminationStrategy: new common.MaxTimeTerminationStrategy(600), delayStrategy: new common.FixedTimeDelayStrategy(0.5),
      });
      const done = await waiter.forVolumeBackup({ volumeBackupId: created.volumeBackup.id }, core.models.VolumeBackup.LifecycleState.Available);
      return done!.volumeBackup;
    });
    const rcharAfter = bytesReadByProcess();
    const native = await api().call('GET', `/v1/backups/bak_${model.id.split('..')[1]}`);
    assert.equal(native.status, 200);
    const job = await api().call('GET', `/v1/jobs/${native.json.jobId}`);
    assert.equal(job.json.state, 'SUCCEEDED');
    const kernelRead = rcharBefore === undefined || rcharAfter === undefined ? undefined : rcharAfter - rcharBefore;
    figures[name] = { type: model.type, sizeInGBs: model.sizeInGBs, sizeInMBs: model.sizeInMBs, uniqueSizeInMbs: model.uniqueSizeInMbs, storedBytes: native.json.storedBytes, bytesRead: native.json.extra.bytesRead, jobBytesDone: job.json.progress.bytesDone, kernelRead };
    assert.equal(model.lifecycleState, 'AVAILABLE');
    assert.equal(model.type, type);
    assert.equal(model.sizeInGBs, 1);
    assert.equal(model.sizeInMBs, 1024);
    assert.equal(job.json.progress.bytesDone, VOLUME_BYTES, 'the job processed the whole volume, read or reused');
    const snapshot = (model.systemTags?.['holdfast'] as { resticSnapshotId?: string } | undefined)?.resticSnapshotId;
    assert.match(snapshot ?? '', /^[0-9a-f]{64}$/);
    return { model, bytesRead: native.json.extra.bytesRead as number, kernelRead, snapshot: snapshot! };
  };

  it('an INCREMENTAL after changing 1% of the volume stores under 5% of it', async () => {
    const sha = await timed('writeImage', () => writeRandomImage(imagePath, VOLUME_BYTES));
    const res = await api().call('POST', '/v1/resources', { body: { name: 'big', driver: 'volume', config: { path: imagePath } } });
    assert.equal(res.status, 201);
    volumeOcid = `ocid1.volume.oc1..${(res.json.id as string).slice(4)}`;

    const first = await backUp('first', core.models.CreateVolumeBackupDetails.Type.Incremental);
    assert.ok(first.model.uniqueSizeInMbs! >= 1024 && first.model.uniqueSizeInMbs! <= 1040, `first backup stored ${first.model.uniqueSizeInMbs} MiB`);
    assert.equal(first.bytesRead, VOLUME_BYTES);
    snapshots.push({ snapshot: first.snapshot, sha256: sha });

    overwrite(imagePath, CHANGES);
    const changedSha = await timed('hashChanged', () => sha256File(imagePath));
    assert.notEqual(changedSha, sha);
    const second = await backUp('changed', core.models.CreateVolumeBackupDetails.Type.Incremental);
    const changedMiB = CHANGES.reduce((n, c) => n + c.length, 0) / MIB;
    assert.ok(second.model.uniqueSizeInMbs! >= changedMiB, `stores at least the ${changedMiB} MiB changed, got ${second.model.uniqueSizeInMbs}`);
    assert.ok(second.model.uniqueSizeInMbs! < 0.05 * 1024, `stores under 5% of 1024 MiB, got ${second.model.uniqueSizeInMbs}`);
    snapshots.push({ snapshot: second.snapshot, sha256: changedSha });
  });

  it('a FULL re-reads every byte of an unchanged volume; an INCREMENTAL of it reads none', async () => {
    assert.equal(snapshots.length, 2, 'needs the backups of the test before');
    const full = await backUp('fullUnchanged', core.models.CreateVolumeBackupDetails.Type.Full);
    assert.equal(full.bytesRead, VOLUME_BYTES);
    if (full.kernelRead !== undefined) assert.ok(full.kernelRead >= VOLUME_BYTES, `the process read ${full.kernelRead} bytes`);
    assert.ok(full.model.uniqueSizeInMbs! <= 1, `nothing new to store, got ${full.model.uniqueSizeInMbs} MiB`);

    const incremental = await backUp('incrementalUnchanged', core.models.CreateVolumeBackupDetails.Type.Incremental);
    assert.equal(incremental.bytesRead, 0);
    if (incremental.kernelRead !== undefined) assert.ok(incremental.kernelRead < 64 * MIB, `the process read ${incremental.kernelRead} bytes`);
    assert.ok(incremental.model.uniqueSizeInMbs! <= 1);
  });

  it('the repository passes restic check --read-data and restic restore gives each image back byte for byte', async () => {
    assert.equal(snapshots.length, 2, 'needs the backups of the first test');
    const check = await timed('resticCheck', () => api().restic(['check', '--read-data']));
    assert.match(check, /read all data/);
    assert.match(check, /no errors were found/);
    const listed = JSON.parse(api().restic(['snapshots', '--json'])) as { id: string }[];
    for (const s of snapshots) assert.ok(listed.some((l) => l.id === s.snapshot), `restic lists snapshot ${s.snapshot}`);
    for (const [i, s] of snapshots.entries()) {
      const target = join(work, `restore-${i}`);
      await timed(`resticRestore${i}`, () => api().restic(['restore', s.snapshot, '--target', target]));
      assert.equal(sha256File(join(target, imagePath)), s.sha256, `snapshot ${s.snapshot} restores the image as it was`);
      rmSync(target, { recursive: true, force: true });
    }
  });
});
