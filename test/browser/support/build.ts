// Builds the client once before the browser suites, and only when client/ changed since the
// last build. Test files run in parallel workers, so a lock directory makes one build while
// the others wait for it.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const REPO = new URL('../../../', import.meta.url).pathname;
const CLIENT = join(REPO, 'client');
const DIST_INDEX = join(CLIENT, 'dist', 'index.html');
const LOCK = join(REPO, 'client', '.build-lock');

function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function isStale(): boolean {
  try {
    const built = statSync(DIST_INDEX).mtimeMs;
    return Math.max(newest(CLIENT), newest(join(REPO, 'common'))) > built;
  } catch {
    return true;
  }
}

export async function ensureClientBuilt(): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (!isStale()) return;
    try {
      mkdirSync(LOCK);
    } catch {
      // Someone else is building; a lock older than two minutes is left over from a crash.
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > 120_000) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        /* gone already */
      }
      if (Date.now() > deadline) throw new Error('Timed out waiting for another worker to build the client');
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      if (isStale()) await run('npm', ['run', 'build:client'], { cwd: REPO, maxBuffer: 32 * 1024 * 1024 });
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
    return;
  }
}
