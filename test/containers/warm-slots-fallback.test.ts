// Where notebook folders cannot be mounted into running containers (rootless podman, or root
// without CAP_SYS_ADMIN), warm container slots are off, said once in the log, and nothing is left
// mounted: the server then starts every container cold. Each case runs in a process of its own,
// started with less privilege by setpriv, as a server would be.

import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { mountPointsUnder } from '../../kernel-bridge/containers/warm-slots';

const SLOTS_MODULE = resolve(import.meta.dirname, '../../kernel-bridge/containers/warm-slots.ts');
// Prepares slots in the folder given as its argument and prints whether they are on, and the log.
const PREPARE = `
const { WarmSlots } = await import(${JSON.stringify(SLOTS_MODULE)});
const logs = [];
const log = (level) => (fields, message) => logs.push({ level, message });
const slots = new WarmSlots(process.argv[1], { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') });
await slots.prepare();
console.log(JSON.stringify({ enabled: slots.enabled, logs }));
`;

interface Prepared {
  enabled: boolean;
  logs: { level: string; message: string }[];
}

const made: string[] = [];
afterEach(() => {
  // Only once nothing is mounted in them: removing a mounted folder's contents would reach through.
  for (const parent of made.splice(0)) if (mountPointsUnder(parent).length === 0) rmSync(parent, { recursive: true, force: true });
});

function prepareAs(setpriv: string[]): { dir: string; prepared: Prepared } {
  const parent = mkdtempSync(join(tmpdir(), 'tandem-slots-fallback-'));
  made.push(parent);
  chmodSync(parent, 0o777);
  const dir = join(parent, 'container-slots');
  const output = execFileSync('setpriv', [...setpriv, process.execPath, '--import', 'tsx', '--input-type=module', '-e', PREPARE, dir], {
    cwd: resolve(import.meta.dirname, '../..'),
    encoding: 'utf8',
  });
  return { dir, prepared: JSON.parse(output.trim().split('\n').at(-1)!) as Prepared };
}

test('without CAP_SYS_ADMIN, slots are off with one log line, and nothing stays mounted', () => {
  const { dir, prepared } = prepareAs(['--bounding-set', '-sys_admin']);
  expect(prepared.enabled).toBe(false);
  expect(prepared.logs).toEqual([{ level: 'info', message: expect.stringMatching(/^no warm pool for containers: could not make a shared mount/) }]);
  expect(mountPointsUnder(dir)).toEqual([]);
});

test('as an ordinary user (rootless podman), slots are off with one log line', () => {
  const { dir, prepared } = prepareAs(['--reuid', '1000', '--regid', '1000', '--clear-groups']);
  expect(prepared.enabled).toBe(false);
  expect(prepared.logs).toEqual([{ level: 'info', message: expect.stringMatching(/^no warm pool for containers: it needs root/) }]);
  expect(mountPointsUnder(dir)).toEqual([]);
});

test('as root, slots are on: the folder is a shared mount of its own', () => {
  const { dir, prepared } = prepareAs([]);
  try {
    expect(prepared).toEqual({ enabled: true, logs: [] });
    expect(mountPointsUnder(dir)).toEqual([dir]);
    const line = execFileSync('findmnt', ['--noheadings', '--output', 'PROPAGATION', '--mountpoint', dir], { encoding: 'utf8' });
    expect(line.trim()).toBe('shared');
  } finally {
    execFileSync('umount', [dir]);
  }
});
