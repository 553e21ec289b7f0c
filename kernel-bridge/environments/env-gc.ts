// Garbage collection of the environment cache: environments nobody has used for a while are
// deleted, and so are staging folders left by builds that crashed. An environment a kernel
// still runs in is kept (and marked used, for other servers sharing the cache). Deletion takes
// the id's lock and renames the folder away first, so a kernel never starts in half of one.

import { randomBytes } from 'node:crypto';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { type BridgeLogger, describeError } from '../logger';
import { tryLock } from './cache-lock';
import type { EnvCache } from './env-cache';

// A staging folder this old belongs to no build still running (builds time out well before).
const ABANDONED_STAGING_MS = 24 * 60 * 60_000;

export async function collectGarbage(cache: EnvCache, maxIdleMs: number, logger: BridgeLogger): Promise<string[]> {
  const removed: string[] = [];
  const now = Date.now();
  for (const name of await readdir(cache.dir).catch(() => [] as string[])) {
    try {
      if (cache.isId(name)) {
        if (cache.isHeld(name) || cache.isBuilding(name)) {
          await cache.touch(name);
          continue;
        }
        const lastUsed = await cache.lastUsed(name);
        if (lastUsed === undefined || now - lastUsed < maxIdleMs) continue;
        if (await remove(cache, name, path.join(cache.dir, name))) removed.push(name);
      } else if (name.startsWith('.staging-') || name.startsWith('.trash-')) {
        const info = await stat(path.join(cache.dir, name));
        if (now - info.mtimeMs > ABANDONED_STAGING_MS) await rm(path.join(cache.dir, name), { recursive: true, force: true });
      }
    } catch (error) {
      logger.warn({ entry: name, error: describeError(error) }, 'environment garbage collection skipped an entry');
    }
  }
  if (removed.length) logger.info({ removed }, 'removed environments unused for a while');
  return removed;
}

async function remove(cache: EnvCache, id: string, dir: string): Promise<boolean> {
  const lock = await tryLock(cache.lockOf(id));
  if (!lock) return false;
  try {
    // A kernel may have claimed it while we waited for the lock.
    if (cache.isHeld(id) || cache.isBuilding(id)) return false;
    const trash = path.join(cache.dir, `.trash-${id}-${randomBytes(4).toString('hex')}`);
    await rename(dir, trash);
    await rm(trash, { recursive: true, force: true });
    return true;
  } finally {
    await lock.release();
  }
}
