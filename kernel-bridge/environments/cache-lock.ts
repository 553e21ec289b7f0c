// A lock file per environment id, for servers that share one cache: whoever creates the file
// builds (or deletes) that environment, the others wait. A lock left by a process that died is
// taken over; the file records its owner's pid and host to tell.

import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';

interface LockOwner {
  pid: number;
  host: string;
  since: number;
}

export interface HeldLock {
  release(): Promise<void>;
}

const POLL_MS = 250;
const TORN_AFTER_MS = 10_000;

/** Takes the lock, or resolves undefined if another live process holds it. */
export async function tryLock(file: string): Promise<HeldLock | undefined> {
  await mkdir(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const handle = await open(file, 'wx', 0o600);
      const owner: LockOwner = { pid: process.pid, host: hostname(), since: Date.now() };
      await handle.writeFile(JSON.stringify(owner));
      await handle.close();
      return { release: () => rm(file, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (!(await isStale(file))) return undefined;
      // The owner is gone: take over. Two takers racing both remove, then one wins the 'wx'.
      await rm(file, { force: true });
    }
  }
  return undefined;
}

/** Waits until the lock file is gone (its owner finished or died), or `signal` aborts. */
export async function waitForUnlock(file: string, signal?: AbortSignal): Promise<void> {
  while (!signal?.aborted) {
    const content = await readFile(file, 'utf8').catch(() => undefined);
    if (content === undefined || (await isStale(file))) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function isStale(file: string): Promise<boolean> {
  let owner: LockOwner;
  try {
    owner = JSON.parse(await readFile(file, 'utf8')) as LockOwner;
  } catch {
    // Unreadable: being written this instant, or torn by a crash. Only the latter lasts.
    const info = await stat(file).catch(() => undefined);
    return info !== undefined && Date.now() - info.mtimeMs > TORN_AFTER_MS;
  }
  if (owner.host !== hostname()) return false;
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
