// Garbage collection of environment images (issue 16): at start-up, like the venv cache's, a
// server removes localhost/tandem-env images nobody used for --env-gc-days, and keeps one used
// lately and one a container runs, however old its record. The images here are tiny (a label
// over the stand-in base, so no network), and the threshold is thousands of days, so that no
// other image on the machine is old enough to go.

import { execFileSync } from 'node:child_process';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventually } from '../helpers/clients';
import { startTandem, type TandemProcess, tempRoot } from '../helpers/tandem';
import { containerArgs, imageExists, prepareContainerImages } from './support';

const DAY_MS = 86_400_000;
const suffix = Math.random().toString(36).slice(2, 10);
const OLD = `gc-old-${suffix}`;
const FRESH = `gc-fresh-${suffix}`;
const RUNNING = `gc-running-${suffix}`;
const tagOf = (id: string) => `localhost/tandem-env:${id}`;

let base: string;
let server: TandemProcess | undefined;
let container: string | undefined;

/** A distinct image (its own id) under the environment repository, built without the network. */
function tinyImage(id: string, from: string): void {
  const context = tempRoot();
  writeFileSync(join(context, 'Dockerfile'), `FROM ${from}\n`);
  execFileSync('podman', ['build', '--quiet', '--tag', tagOf(id), '--label', `tandem.test=${id}`, context], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** A last-use record (as the server keeps them) dated `daysAgo`. */
function recordUse(usesDir: string, id: string, daysAgo: number): void {
  mkdirSync(usesDir, { recursive: true });
  const file = join(usesDir, id);
  writeFileSync(file, '');
  const when = new Date(Date.now() - daysAgo * DAY_MS);
  utimesSync(file, when, when);
}

beforeAll(() => {
  base = prepareContainerImages();
  for (const id of [OLD, FRESH, RUNNING]) tinyImage(id, base);
  // With a second name, `podman rmi` of the first would only untag it, used or not: the
  // collection itself must see that a container runs it.
  execFileSync('podman', ['tag', tagOf(RUNNING), `localhost/tandem-gc-test:${suffix}`]);
  container = execFileSync('podman', ['run', '--detach', '--rm', tagOf(RUNNING), 'sleep', '600'], { encoding: 'utf8' }).trim();
}, 15 * 60_000);
afterAll(async () => {
  await server?.stop();
  if (container) execFileSync('podman', ['rm', '--force', '--time', '0', container], { stdio: 'ignore' });
  for (const image of [...[OLD, FRESH, RUNNING].map(tagOf), `localhost/tandem-gc-test:${suffix}`]) {
    execFileSync('podman', ['rmi', '--ignore', image], { stdio: 'ignore' });
  }
});

test('start-up removes an environment image unused for longer than --env-gc-days, and keeps used ones', async () => {
  const root = tempRoot();
  const usesDir = join(root, '.tandem', 'envs', '.image-uses');
  recordUse(usesDir, OLD, 4000);
  recordUse(usesDir, FRESH, 0);
  recordUse(usesDir, RUNNING, 4000);
  const args = [...containerArgs(base), '--env-gc-days', '3000'];
  server = await startTandem({ root, args });

  await eventually(() => expect(imageExists(tagOf(OLD))).toBe(false), 60_000, 250);
  // The collection ends with one line naming everything it removed.
  await eventually(() => expect(server!.logs()).toContain('removed environment images unused for a while'), 30_000, 100);
  const line = server
    .logs()
    .split('\n')
    .find((entry) => entry.includes('removed environment images unused for a while'))!;
  expect(JSON.parse(line).removed).toEqual([tagOf(OLD)]);
  expect(imageExists(tagOf(FRESH))).toBe(true);
  expect(imageExists(tagOf(RUNNING))).toBe(true);
  // The kernel image, and the base under it, are never candidates.
  expect(imageExists(base)).toBe(true);
});
