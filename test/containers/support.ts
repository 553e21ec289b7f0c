// Container tests need podman set up and the kernel image built. Both are cached (podman's
// settings, and images by tag), and .ci/run prepares them before the tests, so that no test
// needs the network; on a machine where they are already there, this takes about a second.

import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../..');
const BUILD_MS = 15 * 60_000;

/** The stand-in base image's tag, once podman works and the kernel image over it exists. */
export function prepareContainerImages(): string {
  execFileSync(join(REPO, 'images/podman-setup.sh'), { stdio: 'ignore', timeout: BUILD_MS });
  const base = execFileSync(join(REPO, 'images/local-base/build.sh'), { encoding: 'utf8', timeout: BUILD_MS }).trim().split('\n').at(-1)!;
  execFileSync(process.execPath, [join(REPO, 'node_modules/tsx/dist/cli.mjs'), join(REPO, 'images/kernel/build.ts'), '--base', base], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: BUILD_MS,
  });
  return base;
}

/** Flags for a server whose kernels run in containers. */
export function containerArgs(base: string): string[] {
  return ['--runtime', 'container', '--kernel-base-image', base, '--kernel-memory', '512m', '--kernel-cpus', '1', '--warm-pool', '0'];
}

/** Ids of the containers carrying the label. */
export function containersLabelled(label: string): string[] {
  return execFileSync('podman', ['ps', '--all', '--quiet', '--filter', `label=${label}`], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
}

export function imageExists(image: string): boolean {
  return spawnSync('podman', ['image', 'exists', image]).status === 0;
}

/** The server's id, as its containers are labelled. */
export function serverIdOf(stateDir: string): string {
  return execFileSync('cat', [join(stateDir, 'server-id')], { encoding: 'utf8' }).trim();
}

/**
 * A notebook folder the kernel's user (uid 1000 in the image) may write to: podman as root maps
 * it to uid 1000 on the host, so a folder the kernel writes in must let that user in.
 */
export function kernelWritableFolder(root: string, name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  chownSync(dir, 1000, 1000);
  return dir;
}
