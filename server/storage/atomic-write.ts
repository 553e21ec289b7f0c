// Files are replaced whole or not at all: written beside the target, flushed, then renamed
// over it, so a crash at any moment leaves either the old file or the new one.

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * `mode` is for Tandem's own files, which are always made so. Without it (people's files), a
 * file that exists keeps its mode, so saving a notebook someone made private keeps it private;
 * a new one is 0644 less the umask.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode?: number): Promise<void> {
  const temp = tempPathFor(path);
  const kept =
    mode === undefined
      ? await stat(path).then(
          (s) => s.mode & 0o7777,
          () => undefined,
        )
      : undefined;
  const handle = await open(temp, 'w', mode ?? 0o644);
  try {
    // The mode open() gives is narrowed by the umask; the one kept must be exactly as it was.
    if (kept !== undefined) await handle.chmod(kept);
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => {});
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}

/** The synchronous form, for the few writes that must finish before the next event. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, mode = 0o644): void {
  const temp = tempPathFor(path);
  const fd = openSync(temp, 'w', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // The temporary file is already gone.
    }
    throw error;
  }
}
