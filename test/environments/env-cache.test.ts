// The environment cache on its own, with real builds (venv and pip over Debian's Python, and
// wheels built here): builds are shared, failures leave nothing, a crashed builder's lock is
// taken over, and environments nobody uses are collected.

import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type BuildProgress, Environments, normaliseEnvironmentSpec } from '../../kernel-bridge/environments';
import { removeRoot, tempRoot } from '../helpers/tandem';
import { buildWheel } from './wheels';

const BUILD_MS = 180_000;
let dir: string;
let environments: Environments;
const started: string[] = [];

function plan(...requirements: string[]) {
  const spec = normaliseEnvironmentSpec({ requirements: [...requirements, '--find-links ./wheels', '--no-index'] }, dir);
  return environments.resolve({ spec, preferredPython: '/usr/bin/python3' });
}

beforeAll(() => {
  dir = tempRoot('tandem-env-cache-');
  for (const version of ['1.0.0', '2.0.0', '3.0.0']) buildWheel(join(dir, 'wheels'), 'cached-pkg', version);
  const note = (fields: Record<string, unknown>, message: string) => {
    if (message === 'environment build started') started.push(String(fields.environment));
  };
  environments = new Environments({
    cacheDir: join(dir, 'envs'),
    installer: 'pip',
    logger: { debug: () => {}, info: note, warn: () => {}, error: () => {} },
  });
});
afterAll(async () => {
  await environments.close();
  removeRoot(dir);
});

test('concurrent requests for one environment share one build and all hear its progress', { timeout: BUILD_MS }, async () => {
  const wanted = await plan('cached-pkg==1.0.0');
  const heard: BuildProgress[][] = [[], [], []];
  const built = await Promise.all(heard.map((log) => environments.ensure(wanted, (progress) => log.push(progress))));
  expect(new Set(built.map((environment) => environment.dir)).size).toBe(1);
  expect(started.filter((id) => id === wanted.id)).toHaveLength(1);
  for (const log of heard) expect(log.some((progress) => progress.phase === 'Installing packages')).toBe(true);
  expect(built[0].manifest.packages).toContainEqual({ name: 'cached-pkg', version: '1.0.0' });
  // Asked again later, it is simply there.
  await environments.ensure(wanted);
  expect(started.filter((id) => id === wanted.id)).toHaveLength(1);
});

test("a failed build leaves nothing in the cache and carries the installer's error", { timeout: BUILD_MS }, async () => {
  const wanted = await plan('cached-pkg==9.9.9');
  await expect(environments.ensure(wanted)).rejects.toThrow('No matching distribution found for cached-pkg==9.9.9');
  const entries = readdirSync(join(dir, 'envs'));
  expect(entries).not.toContain(wanted.id);
  expect(entries.filter((name) => name.startsWith('.staging-'))).toEqual([]);
  expect(await environments.lookup(wanted.id)).toBeUndefined();
});

test('a lock left by a builder that died is taken over', { timeout: BUILD_MS }, async () => {
  const wanted = await plan('cached-pkg==2.0.0');
  mkdirSync(join(dir, 'envs', '.locks'), { recursive: true });
  // No process has this pid (Linux pids stay below 2^22).
  writeFileSync(join(dir, 'envs', '.locks', `${wanted.id}.lock`), JSON.stringify({ pid: 2 ** 22 + 1, host: hostname(), since: 0 }));
  const built = await environments.ensure(wanted);
  expect(built.manifest.packages).toContainEqual({ name: 'cached-pkg', version: '2.0.0' });
});

test('environments unused for a while are collected, and one a kernel runs in is kept', { timeout: BUILD_MS }, async () => {
  const idle = await environments.ensure(await plan('cached-pkg==3.0.0'));
  const busy = await environments.ensure(await plan('cached-pkg==1.0.0'));
  const release = environments.hold(busy.id);
  const longAgo = new Date(Date.now() - 40 * 86_400_000);
  for (const environment of [idle, busy]) utimesSync(join(environment.dir, '.last-used'), longAgo, longAgo);

  const removed = await environments.collectGarbage(30 * 86_400_000);
  expect(removed).toContain(idle.id);
  expect(removed).not.toContain(busy.id);
  expect(await environments.lookup(idle.id)).toBeUndefined();
  expect(await environments.lookup(busy.id)).toBeDefined();
  release();
});

test('builds beyond the limit wait their turn, and say so', { timeout: BUILD_MS }, async () => {
  const oneAtATime = new Environments({ cacheDir: join(dir, 'envs-one'), installer: 'pip', maxBuilds: 1 });
  try {
    const spec = (version: string) => normaliseEnvironmentSpec({ requirements: [`cached-pkg==${version}`, '--find-links ./wheels', '--no-index'] }, dir);
    const [first, second] = await Promise.all(
      ['1.0.0', '2.0.0'].map((version) => oneAtATime.resolve({ spec: spec(version), preferredPython: '/usr/bin/python3' })),
    );
    const heard: Record<string, string[]> = { first: [], second: [] };
    const done: string[] = [];
    await Promise.all(
      (['first', 'second'] as const).map((name) =>
        oneAtATime.ensure(name === 'first' ? first : second, (progress) => heard[name].push(progress.phase)).then(() => done.push(name)),
      ),
    );
    // Whichever got the slot second waited for it, said so, and finished last.
    const queued = done[1];
    expect(heard[queued][0]).toBe('Waiting for other environments to finish building');
    expect(heard[queued]).toContain('Installing packages');
    expect(heard[done[0]]).not.toContain('Waiting for other environments to finish building');
  } finally {
    await oneAtATime.close();
  }
});
