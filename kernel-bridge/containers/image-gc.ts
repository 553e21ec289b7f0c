// Garbage collection of environment images (localhost/tandem-env:<id>), by the policy of the
// venv cache's (env-gc.ts): an image nobody has used for a while is removed. Each use is
// recorded as a file named after the id, in a folder beside the venv cache (so that servers
// sharing the cache share the records), and its modification time is the last use. An image
// with no record (built before records were kept, or by a server with another cache) counts as
// used when it was built. Never removed: an image any container uses (running or stopped), one
// being built, and anything outside the tandem-env repository (the kernel image and its base).

import { mkdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BridgeLogger } from '../logger';
import type { Podman } from './podman';

const REPOSITORY = 'localhost/tandem-env';
const ID = /^[A-Za-z0-9_.-]{1,128}$/;
// One line per tag (podman's JSON would be mixed with its warnings, and can be long).
const IMAGE_LINE = /^(?:sha256:)?([0-9a-f]{64}) (\S+) (\d+) (.+)$/;
const LIST_TIMEOUT_MS = 60_000;

interface ListedTag {
  imageId: string;
  name: string;
  containers: number;
  createdMs: number;
}

/** Records a use of the environment image `id` now. Never rejects (a record is a hint for GC). */
export async function recordImageUse(usesDir: string, id: string): Promise<void> {
  if (!ID.test(id)) return;
  const file = path.join(usesDir, id);
  const now = new Date();
  try {
    await utimes(file, now, now);
  } catch {
    await mkdir(usesDir, { recursive: true })
      .then(() => writeFile(file, ''))
      .catch(() => {});
  }
}

export interface ImageGcOptions {
  usesDir: string;
  maxIdleMs: number;
  /** True for an id that must stay whatever its age (being built). */
  busy(id: string): boolean;
  logger: BridgeLogger;
  /** Aborted at shutdown: the podman call under way is stopped, and nothing more is removed. */
  signal?: AbortSignal;
}

/** Removes environment images unused for longer than maxIdleMs; returns the tags removed. */
export async function collectImageGarbage(podman: Podman, options: ImageGcOptions): Promise<string[]> {
  const { signal } = options;
  const tags = await listTags(podman, signal);
  const inUse = await imagesOfContainers(podman, signal);
  const now = Date.now();
  const removed: string[] = [];
  for (const tag of tags) {
    if (signal?.aborted) break;
    const id = tag.name.startsWith(`${REPOSITORY}:`) ? tag.name.slice(REPOSITORY.length + 1) : '';
    if (!ID.test(id) || tag.containers > 0 || inUse.has(tag.imageId) || options.busy(id)) continue;
    const recorded = await stat(path.join(options.usesDir, id)).catch(() => undefined);
    const lastUsed = recorded?.mtimeMs ?? tag.createdMs;
    if (!Number.isFinite(lastUsed) || now - lastUsed < options.maxIdleMs) continue;
    // Without --force: podman refuses an image a container started using since the listing.
    const result = await podman.call(['rmi', tag.name], { signal });
    if (result.code !== 0) {
      options.logger.debug({ image: tag.name, output: result.lines.join('\n') }, 'environment image garbage collection kept an image');
      continue;
    }
    removed.push(tag.name);
    await rm(path.join(options.usesDir, id), { force: true });
  }
  if (removed.length) options.logger.info({ removed }, 'removed environment images unused for a while');
  return removed;
}

async function listTags(podman: Podman, signal?: AbortSignal): Promise<ListedTag[]> {
  const tags: ListedTag[] = [];
  const result = await podman.call(
    ['images', '--no-trunc', '--filter', `reference=${REPOSITORY}`, '--format', '{{.ID}} {{.Repository}}:{{.Tag}} {{.Containers}} {{.CreatedAt}}'],
    {
      timeoutMs: LIST_TIMEOUT_MS,
      signal,
      onLine: (line) => {
        const match = IMAGE_LINE.exec(line.trim());
        // "2026-12-06 18:27:45 +0000 UTC": the zone's name repeats its offset.
        if (match) tags.push({ imageId: match[1], name: match[2], containers: Number(match[3]), createdMs: Date.parse(match[4].replace(/ [A-Z]{2,5}$/, '')) });
      },
    },
  );
  if (result.code !== 0 && !signal?.aborted) throw new Error(`podman images failed: ${result.lines.slice(-5).join('\n')}`);
  return tags;
}

/** Ids of the images containers (running or not) were created from. */
async function imagesOfContainers(podman: Podman, signal?: AbortSignal): Promise<Set<string>> {
  const ids = new Set<string>();
  const result = await podman.call(['ps', '--all', '--no-trunc', '--format', '{{.ImageID}}'], {
    timeoutMs: LIST_TIMEOUT_MS,
    signal,
    onLine: (line) => {
      const id = /^(?:sha256:)?([0-9a-f]{64})$/.exec(line.trim())?.[1];
      if (id) ids.add(id);
    },
  });
  if (result.code !== 0 && !signal?.aborted) throw new Error(`podman ps failed: ${result.lines.slice(-5).join('\n')}`);
  return ids;
}
