// The server's environments: the cache (STATE/envs by default), the warm pool of default-
// environment kernels, and garbage collection. It also decides what a notebook's kernel runs
// in: its own environment, the default one, or — for a kernel that is not ipykernel, or a named
// kernelspec without an environment — the kernelspec as installed.

import path from 'node:path';
import { type BridgeLogger, findKernelSpec, findKernelSpecs, type KernelSpec } from '../../kernel-bridge';
import type { ContainerEnvironments } from '../../kernel-bridge/containers';
import {
  type BuildPlan,
  defaultPythonKernelSpec,
  Environments,
  environmentKernelSpec,
  type InstallerMode,
  InvalidEnvironmentSpec,
  type NormalisedSpec,
  normaliseEnvironmentSpec,
  type PoolStatus,
  type PoolTarget,
  poolKey,
  pythonOfKernelSpec,
  readEnvironmentSpec,
  WarmPool,
} from '../../kernel-bridge/environments';
import type { KernelRuntime } from '../../kernel-bridge/runtimes/runtime';
import { type KernelRuntimeChoice, localKernelRuntime } from './kernel-runtime';

export interface EnvironmentServiceOptions {
  cacheDir: string;
  installer: InstallerMode;
  /** Kernels of the default environment kept started ahead of time. */
  warmPool: number;
  /** Delete environments unused for this long; 0 never. */
  gcMs: number;
  /** The kernelspec for notebooks that name none. */
  defaultKernel: string;
  /** images/tandem-helper: installed into every environment once it exists. */
  helperDir: string;
  /** Where kernels run (see createKernelRuntime); default local processes. */
  kernels?: KernelRuntimeChoice;
  logger: BridgeLogger;
}

/** What a notebook's kernel runs. */
export type Resolution = { kind: 'environment'; plan: BuildPlan; like: KernelSpec } | { kind: 'kernelspec'; spec: KernelSpec };

export interface NotebookRequest {
  /** metadata.tandem.environment as stored, or undefined when the notebook has none. */
  rawSpec: unknown;
  /** metadata.kernelspec.name, if any. */
  kernelName: string | undefined;
  /** The notebook's folder: relative --find-links are resolved against it. */
  baseDir: string;
}

const GC_INTERVAL_MS = 60 * 60_000;

export class EnvironmentService {
  readonly environments: Environments;
  readonly runtime: KernelRuntime;
  /** Set when kernels run in containers: a notebook's environment is then an image. */
  readonly containers: ContainerEnvironments | undefined;
  /** Set when every kernel runs one image (see KernelRuntimeChoice.image). */
  readonly fixedImage: string | undefined;
  /** Made by start(): whether kernels can be pooled may be known only once the runtime started. */
  pool: WarmPool | undefined;
  private readonly gcTimer: NodeJS.Timeout | undefined;
  private readonly kernels: KernelRuntimeChoice;
  /** The environment pooled kernels run in, kept from garbage collection while it is. */
  private poolHold: { id: string; release: () => void } | undefined;

  constructor(private readonly options: EnvironmentServiceOptions) {
    this.environments = new Environments({
      cacheDir: options.cacheDir,
      installer: options.installer,
      helperDir: options.helperDir,
      logger: options.logger,
    });
    this.kernels = options.kernels ?? localKernelRuntime(options.logger);
    this.runtime = this.kernels.runtime;
    this.containers = this.kernels.containers;
    this.fixedImage = this.kernels.image;
    if (options.gcMs > 0) {
      this.gcTimer = setInterval(() => void this.collectGarbage(), Math.min(GC_INTERVAL_MS, options.gcMs));
      this.gcTimer.unref();
    }
  }

  /**
   * Removes kernel containers an earlier, killed server left (before any of ours starts), then
   * starts filling the warm pool (when the default kernel is ipykernel) and collects garbage once.
   */
  async start(): Promise<void> {
    await this.kernels.start();
    // The pool holds kernels of the default environment: local processes, pods (for notebooks
    // whose pods mount no folder: see KubernetesRuntime.warmClaim), or containers whose working
    // folder is mounted when claimed (see ContainerRuntime.warmClaim), where the runtime could.
    if (this.options.warmPool > 0 && this.kernels.poolable !== false && !this.pool) {
      this.pool = new WarmPool({
        size: this.options.warmPool,
        runtime: this.runtime,
        idleCwd: path.join(this.options.cacheDir, '.pool'),
        logger: this.options.logger,
        target: () => this.poolTarget(),
      });
      void this.startPool(this.pool);
    }
    if (this.options.gcMs > 0) void this.collectGarbage();
  }

  /** What pooled kernels run: the default environment (built, and kept, if it is not yet) or the one image. */
  private async poolTarget(): Promise<PoolTarget> {
    if (this.fixedImage) return { key: poolKey({ image: this.fixedImage })!, spec: await this.defaultKernelSpec(), launch: { image: this.fixedImage } };
    if (this.containers) {
      const plan = await this.containers.resolve(undefined);
      await this.containers.ensure(plan);
      return { key: plan.id, spec: await this.defaultKernelSpec(), launch: { image: plan.image, environmentId: plan.id } };
    }
    const resolution = await this.resolve({ rawSpec: undefined, kernelName: undefined, baseDir: this.options.cacheDir });
    if (resolution.kind !== 'environment') throw new Error(`The default kernel "${this.options.defaultKernel}" is not ipykernel; there is nothing to pool`);
    if (this.poolHold?.id !== resolution.plan.id) {
      this.poolHold?.release();
      this.poolHold = { id: resolution.plan.id, release: this.environments.hold(resolution.plan.id) };
    }
    const built = await this.environments.ensure(resolution.plan);
    return { key: built.id, spec: environmentKernelSpec(built, resolution.like) };
  }

  private async startPool(pool: WarmPool): Promise<void> {
    // Images run the kernel image's own ipykernel: there is no local default kernel to check.
    if (this.fixedImage || this.containers) {
      pool.start();
      return;
    }
    try {
      const resolution = await this.resolve({ rawSpec: undefined, kernelName: undefined, baseDir: this.options.cacheDir });
      if (resolution.kind !== 'environment') {
        this.options.logger.info({ kernel: this.options.defaultKernel }, 'no warm pool: the default kernel does not run ipykernel');
        return;
      }
    } catch (error) {
      // No Python yet, say: the pool tries again on its own, and says why.
      this.options.logger.warn({ error: String(error) }, 'the default environment cannot be resolved yet');
    }
    pool.start();
  }

  poolStatus(): PoolStatus | undefined {
    return this.pool?.status();
  }

  get installer(): InstallerMode {
    return this.options.installer;
  }

  get cacheDir(): string {
    return this.options.cacheDir;
  }

  /**
   * What a notebook's kernel runs, without building anything. Throws InvalidEnvironmentSpec or
   * NoInterpreter (both with messages for people) when the notebook's specification cannot be used.
   */
  async resolve(request: NotebookRequest): Promise<Resolution> {
    const spec = this.normalise(request);
    const name = spec?.kernel ?? request.kernelName ?? this.options.defaultKernel;
    let installed = await findKernelSpec(name);
    if (!installed && spec?.kernel) {
      const names = (await findKernelSpecs()).map((found) => found.name);
      throw new InvalidEnvironmentSpec(`kernel "${spec.kernel}" is not installed on this server${names.length ? ` (installed: ${names.join(', ')})` : ''}`);
    }
    // A notebook written elsewhere may name a kernel this server lacks: use the default one.
    if (!installed && name !== this.options.defaultKernel) installed = await findKernelSpec(this.options.defaultKernel);
    const python = installed ? pythonOfKernelSpec(installed) : undefined;
    if (installed && !python) {
      if (spec) throw new InvalidEnvironmentSpec(`the kernel "${installed.name}" does not run ipykernel, so no Python environment can be built for it`);
      return { kind: 'kernelspec', spec: installed };
    }
    // A notebook that chose a kernelspec other than the default, and declares nothing, gets it as installed.
    if (installed && !spec && installed.name !== this.options.defaultKernel) return { kind: 'kernelspec', spec: installed };
    const plan = await this.environments.resolve({ spec, preferredPython: python });
    return { kind: 'environment', plan, like: installed ?? defaultPythonKernelSpec() };
  }

  /** The default kernel's spec, or a plain ipykernel one when it is not installed. */
  async defaultKernelSpec(): Promise<KernelSpec> {
    return (await findKernelSpec(this.options.defaultKernel)) ?? defaultPythonKernelSpec();
  }

  async close(): Promise<void> {
    clearInterval(this.gcTimer);
    await Promise.all([this.environments.close(), this.pool?.close()]);
    await this.kernels.close();
  }

  normalise(request: NotebookRequest): NormalisedSpec | undefined {
    if (request.rawSpec === undefined || request.rawSpec === null) return undefined;
    return normaliseEnvironmentSpec(readEnvironmentSpec(request.rawSpec), request.baseDir);
  }

  /** Venvs, and with containers environment images, unused for gcMs. */
  private async collectGarbage(): Promise<void> {
    try {
      await this.environments.collectGarbage(this.options.gcMs);
    } catch (error) {
      this.options.logger.warn({ error: String(error) }, 'environment garbage collection failed');
    }
    try {
      await this.containers?.collectGarbage(this.options.gcMs);
    } catch (error) {
      this.options.logger.warn({ error: String(error) }, 'environment image garbage collection failed');
    }
  }
}
