// The content-addressed cache of built environments: CACHE/<id> holds a finished venv and its
// manifest, and nothing else is ever at that path. A build happens in CACHE/.staging-<id>-…
// and is renamed into place, so a failed or interrupted build leaves nothing a kernel could
// use. In one process, callers asking for an id that is being built share that build (and its
// progress); across processes sharing the cache, a lock file per id does the same.

import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type BridgeLogger, describeError } from '../logger';
import { type BuildProgress, ProgressTracker } from './build-progress';
import { BuildSlots } from './build-slots';
import { tryLock, waitForUnlock } from './cache-lock';
import { type BuildPlan, buildEnvironment, EnvironmentBuildFailed, type EnvironmentManifest, MANIFEST } from './environment-build';
import { envPython, type Installer } from './installer';

export interface BuiltEnvironment {
  id: string;
  dir: string;
  /** The environment's python: what the kernel runs. */
  python: string;
  manifest: EnvironmentManifest;
}

export interface EnvCacheOptions {
  dir: string;
  /** The installer for a build. */
  installer(plan: BuildPlan): Promise<Installer>;
  buildTimeoutMs: number;
  logger: BridgeLogger;
  /** Aborted on shutdown: builds under way stop, and their callers see them fail. */
  signal: AbortSignal;
  /** Builds run at once, at most (others wait their turn). */
  maxBuilds: number;
}

export type ProgressListener = (progress: BuildProgress) => void;

interface SharedBuild {
  result: Promise<BuiltEnvironment>;
  listeners: Set<ProgressListener>;
  latest: BuildProgress | undefined;
}

const ID = /^[0-9a-f]{24}$/;
export const LAST_USED = '.last-used';

export class EnvCache {
  private readonly builds = new Map<string, SharedBuild>();
  private readonly holds = new Map<string, number>();
  private readonly slots: BuildSlots;

  constructor(private readonly options: EnvCacheOptions) {
    this.slots = new BuildSlots(options.maxBuilds);
  }

  get dir(): string {
    return this.options.dir;
  }

  isId(name: string): boolean {
    return ID.test(name);
  }

  pathOf(id: string): string {
    return path.join(this.options.dir, id);
  }

  lockOf(id: string): string {
    return path.join(this.options.dir, '.locks', `${id}.lock`);
  }

  /** The environment if it is built; never builds. */
  async lookup(id: string): Promise<BuiltEnvironment | undefined> {
    const dir = this.pathOf(id);
    try {
      const manifest = JSON.parse(await readFile(path.join(dir, MANIFEST), 'utf8')) as EnvironmentManifest;
      return { id, dir, python: envPython(dir), manifest };
    } catch {
      return undefined;
    }
  }

  /** Resolves once no build is under way. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.builds.values()].map((build) => build.result));
  }

  isBuilding(id: string): boolean {
    return this.builds.has(id);
  }

  /**
   * The environment, built first if needed. Concurrent calls for one id share one build;
   * `onProgress` hears its progress (at once, if it is already under way). Rejects with
   * EnvironmentBuildFailed, carrying the installer's error, when the build fails.
   */
  async ensure(plan: BuildPlan, onProgress?: ProgressListener): Promise<BuiltEnvironment> {
    const ready = await this.lookup(plan.id);
    if (ready) {
      await this.touch(plan.id);
      return ready;
    }
    let build = this.builds.get(plan.id);
    if (!build) {
      const shared: SharedBuild = { listeners: new Set(), latest: undefined, result: undefined as unknown as Promise<BuiltEnvironment> };
      const tracker = new ProgressTracker((progress) => {
        shared.latest = progress;
        for (const listener of shared.listeners) {
          try {
            listener(progress);
          } catch (error) {
            this.options.logger.error({ error: describeError(error) }, 'an environment progress listener threw');
          }
        }
      });
      shared.result = this.build(plan, tracker).finally(() => this.builds.delete(plan.id));
      this.builds.set(plan.id, shared);
      build = shared;
    }
    if (onProgress) {
      build.listeners.add(onProgress);
      if (build.latest) onProgress(build.latest);
    }
    try {
      return await build.result;
    } finally {
      if (onProgress) build.listeners.delete(onProgress);
    }
  }

  /** Marks an environment as in use (a kernel runs in it), so garbage collection keeps it. */
  hold(id: string): () => void {
    this.holds.set(id, (this.holds.get(id) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.holds.get(id) ?? 1) - 1;
      if (left > 0) this.holds.set(id, left);
      else this.holds.delete(id);
    };
  }

  isHeld(id: string): boolean {
    return this.holds.has(id);
  }

  /** Records a use, for garbage collection by age. */
  async touch(id: string): Promise<void> {
    const file = path.join(this.pathOf(id), LAST_USED);
    const now = new Date();
    await utimes(file, now, now).catch(() => writeFile(file, '').catch(() => {}));
  }

  private async build(plan: BuildPlan, tracker: ProgressTracker): Promise<BuiltEnvironment> {
    const lockFile = this.lockOf(plan.id);
    let lock = await tryLock(lockFile);
    while (!lock) {
      tracker.enter('waiting');
      await waitForUnlock(lockFile, this.options.signal);
      if (this.options.signal.aborted) throw new EnvironmentBuildFailed('The server is shutting down');
      const done = await this.lookup(plan.id);
      if (done) return done;
      lock = await tryLock(lockFile);
    }
    const staging = path.join(this.options.dir, `.staging-${plan.id}-${randomBytes(4).toString('hex')}`);
    const final = this.pathOf(plan.id);
    let releaseSlot: (() => void) | undefined;
    try {
      const done = await this.lookup(plan.id);
      if (done) return done;
      if (this.slots.full) tracker.enter('queued');
      releaseSlot = await this.slots.take(this.options.signal);
      // Something without a manifest is no environment (a copy torn by hand); we hold the lock.
      await rm(final, { recursive: true, force: true });
      const installer = await this.options.installer(plan);
      this.options.logger.info(
        { environment: plan.id, installer: installer.kind, python: plan.base.path, requirements: plan.requirements.length },
        'environment build started',
      );
      const manifest = await buildEnvironment(plan, {
        staging,
        final,
        installer,
        tracker,
        timeoutMs: this.options.buildTimeoutMs,
        signal: this.options.signal,
        logger: this.options.logger,
      });
      await rename(staging, final);
      await this.touch(plan.id);
      this.options.logger.info({ environment: plan.id, ms: manifest.buildMs, installer: installer.kind }, 'environment built');
      return { id: plan.id, dir: final, python: envPython(final), manifest };
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      const failure = error instanceof EnvironmentBuildFailed ? error : new EnvironmentBuildFailed(`Could not build the environment: ${describeError(error)}`);
      this.options.logger.warn({ environment: plan.id, error: failure.message, output: failure.output.slice(-20).join('\n') }, 'environment build failed');
      throw failure;
    } finally {
      releaseSlot?.();
      await lock.release();
    }
  }

  /** When the environment was last used (epoch ms), or undefined if it is not built. */
  async lastUsed(id: string): Promise<number | undefined> {
    const dir = this.pathOf(id);
    for (const file of [path.join(dir, LAST_USED), path.join(dir, MANIFEST)]) {
      const info = await stat(file).catch(() => undefined);
      if (info) return info.mtimeMs;
    }
    return undefined;
  }
}
