// Notebook environments, end to end: a normalised specification plus an interpreter resolve to
// a build plan with a content-addressed id; the cache builds each id once (uv when available,
// else venv and pip) and hands out the finished environment.

import { homedir } from 'node:os';
import path from 'node:path';
import { type BridgeLogger, silentLogger } from '../logger';
import { type BuiltEnvironment, EnvCache, type ProgressListener } from './env-cache';
import { collectGarbage } from './env-gc';
import { type BuildPlan, EnvironmentBuildFailed } from './environment-build';
import { environmentId } from './environment-id';
import { HelperPackage } from './helper-package';
import { type Installer, PipInstaller, UvInstaller } from './installer';
import { findInterpreter } from './interpreter';
import type { IndexOptions, NormalisedSpec } from './spec';
import { type InstallerMode, UvTool } from './uv-tool';

export interface EnvironmentsOptions {
  /** The cache folder; created as needed. */
  cacheDir: string;
  /** Default auto: uv when on the PATH or installable, else venv and pip. */
  installer?: InstallerMode;
  /** The Tandem helper package's source folder (images/tandem-helper). */
  helperDir?: string;
  /** Default 20 minutes. */
  buildTimeoutMs?: number;
  logger?: BridgeLogger;
  /** Where interpreters and uv are looked up (PATH). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * Caches shared by every Tandem of this user, whatever their environment caches: uv (when it
   * is not on the PATH) and wheels of the helper package, by content. Default ~/.cache/tandem.
   */
  sharedCacheDir?: string;
  /** Builds run at once, at most. Default 2. */
  maxBuilds?: number;
}

export interface EnvironmentRequest {
  /** The notebook's specification; undefined for the default environment. */
  spec?: NormalisedSpec;
  /** The Python the notebook's kernelspec runs: the base, when it fits the spec. */
  preferredPython?: string;
}

/** uv and the helper's wheels belong to no one cache: every server and test of the user shares them. */
function defaultSharedCacheDir(env: NodeJS.ProcessEnv): string {
  return path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'tandem');
}

const NO_INDEX_OPTIONS: IndexOptions = { extraIndexUrls: [], findLinks: [], noIndex: false };

export class Environments {
  readonly cache: EnvCache;
  private readonly uv: UvTool;
  private readonly helper: HelperPackage;
  private readonly mode: InstallerMode;
  private readonly logger: BridgeLogger;
  private readonly env: NodeJS.ProcessEnv;
  private readonly stopping = new AbortController();

  constructor(options: EnvironmentsOptions) {
    this.logger = options.logger ?? silentLogger;
    this.mode = options.installer ?? 'auto';
    this.env = options.env ?? process.env;
    const signal = this.stopping.signal;
    const shared = options.sharedCacheDir ?? defaultSharedCacheDir(this.env);
    this.uv = new UvTool(path.join(shared, 'tools'), this.logger, this.env, signal);
    this.helper = new HelperPackage(options.helperDir, path.join(shared, 'helper-wheels'), this.logger, signal);
    this.cache = new EnvCache({
      dir: options.cacheDir,
      installer: (plan) => this.installerFor(plan),
      buildTimeoutMs: options.buildTimeoutMs ?? 20 * 60_000,
      logger: this.logger,
      signal,
      maxBuilds: options.maxBuilds ?? 2,
    });
  }

  /**
   * The build plan (and so the id) for a request, without building anything. Throws
   * NoInterpreter when no installed Python fits the spec.
   */
  async resolve(request: EnvironmentRequest): Promise<BuildPlan> {
    const base = await findInterpreter({ preferred: request.preferredPython, constraint: request.spec?.python, env: this.env });
    const helper = await this.helper.wheel(base);
    const requirements = request.spec?.requirements ?? [];
    const index = request.spec?.index ?? NO_INDEX_OPTIONS;
    // A notebook may pin its own ipykernel; otherwise it comes from the base, or is added.
    const installsKernel = !base.hasIpykernel && !requirements.some((line) => /^ipykernel\b(?!-)/.test(line));
    const id = environmentId({
      base: { kind: 'interpreter', path: base.path, version: base.version },
      requirements,
      index,
      installsKernel,
      helper: helper?.fingerprint ?? null,
    });
    return { id, base, requirements, index, installsKernel, helper };
  }

  /** The built environment for a plan, building it if needed (see EnvCache.ensure). */
  ensure(plan: BuildPlan, onProgress?: ProgressListener): Promise<BuiltEnvironment> {
    return this.cache.ensure(plan, onProgress);
  }

  lookup(id: string): Promise<BuiltEnvironment | undefined> {
    return this.cache.lookup(id);
  }

  /** Keeps the environment from garbage collection while a kernel runs in it; call the result to let go. */
  hold(id: string): () => void {
    return this.cache.hold(id);
  }

  collectGarbage(maxIdleMs: number): Promise<string[]> {
    return collectGarbage(this.cache, maxIdleMs, this.logger);
  }

  /** Stops builds and installs under way, and waits until their processes are gone; for shutdown. */
  async close(): Promise<void> {
    this.stopping.abort();
    await Promise.all([this.cache.settled(), this.uv.settled(), this.helper.settled()]);
  }

  private async installerFor(plan: BuildPlan): Promise<Installer> {
    const { base } = plan;
    if (this.mode !== 'pip') {
      const uv = (await this.uv.find()) ?? (this.mode === 'uv' ? await this.uv.install(base) : undefined);
      if (uv) return new UvInstaller(uv);
      if (this.mode === 'uv') {
        throw new EnvironmentBuildFailed('uv is not on the PATH and could not be installed; start Tandem with --env-installer auto or pip');
      }
      // Fetched only once there is something to install (never for a default environment over
      // a Python that has ipykernel), in the background: this build goes on with pip.
      if (plan.requirements.length || plan.installsKernel) void this.uv.install(base);
    }
    if (!base.hasPip && !base.hasEnsurepip) {
      throw new EnvironmentBuildFailed(
        `The Python at ${base.path} has neither pip nor venv, so no environment can be built on it. ` +
          'Install them (Debian: apt install python3-pip python3-venv), or put uv on the PATH.',
      );
    }
    return new PipInstaller();
  }
}
