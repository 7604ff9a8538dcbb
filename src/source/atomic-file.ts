/**
 * Writes a restored file so that its path holds either the old file or the
 * complete new one: a temporary file beside it, fsync, then rename.
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomically(dest: string, data: AsyncIterable<Uint8Array>, mode = 0o600): Promise<void> {
  await mkdir(dirname(dest), { recursive: true });
  const temp = join(dirname(dest), `.${basename(dest)}.holdfast-restore`);
  const file = await open(temp, 'w', mode);
  try {
    for await (const chunk of data) await file.write(chunk);
    await file.sync();
  } catch (err) {
    await file.close();
    await rm(temp, { force: true });
    throw err;
  }
  await file.close();
  await rename(temp, dest);
}
