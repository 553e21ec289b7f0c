// The folder that holds connection files (their keys run code) is used only if it is ours
// alone: never through a symlink, never one another user made or may write to.

import { chmod, chown, mkdir, mkdtemp, readdir, rm, stat, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { ConnectionInfo } from '../../kernel-bridge/protocol/connection-info';
import { writeConnectionFile } from '../../kernel-bridge/runtimes/connection-file';

let base: string;
const info = { ip: '127.0.0.1', key: 'k' } as unknown as ConnectionInfo;

beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'tandem-runtime-dir-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

test('a missing folder is made 0700; one of ours that others could read is closed', async () => {
  const fresh = path.join(base, 'fresh');
  await writeConnectionFile(fresh, info);
  expect((await stat(fresh)).mode & 0o777).toBe(0o700);
  const open = path.join(base, 'open');
  await mkdir(open, { mode: 0o755 });
  await chmod(open, 0o755);
  await writeConnectionFile(open, info);
  expect((await stat(open)).mode & 0o777).toBe(0o700);
});

test("a world-writable folder, a symlink, or another user's folder is refused and nothing is written", async () => {
  const shared = path.join(base, 'shared');
  await mkdir(shared);
  await chmod(shared, 0o777);
  await expect(writeConnectionFile(shared, info)).rejects.toThrow(/Others may write/);
  expect(await readdir(shared)).toEqual([]);

  const target = path.join(base, 'target');
  await mkdir(target, { mode: 0o700 });
  const link = path.join(base, 'link');
  await symlink(target, link);
  await expect(writeConnectionFile(link, info)).rejects.toThrow(/symlink/);
  expect(await readdir(target)).toEqual([]);

  if (process.getuid?.() === 0) {
    const theirs = path.join(base, 'theirs');
    await mkdir(theirs, { mode: 0o700 });
    await chown(theirs, 65534, 65534);
    await expect(writeConnectionFile(theirs, info)).rejects.toThrow(/another user/);
  }
});
