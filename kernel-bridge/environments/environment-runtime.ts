// A runtime that starts each kernel in the environment its notebook asks for at that moment.
// A session calls launch() on every start and restart, so a restart picks up a changed
// specification by itself. The plan (which may build the environment first) comes from the
// owner, which knows the notebook; a kernel of the right environment is taken from the warm
// pool when one is ready, and otherwise started by the underlying runtime.

import type { KernelSpec } from '../kernelspec/kernelspec';
import type { KernelRuntime, LaunchedKernel, LaunchRequest } from '../runtimes/runtime';
import type { WarmPool } from './warm-pool';

export interface LaunchPlan {
  /** What to run; for an environment, its python running ipykernel. */
  spec: KernelSpec;
  /** The environment the kernel runs in, or undefined for a kernelspec used as installed. */
  environmentId?: string;
  /** The environment's image, for runtimes that run images. */
  image?: string;
  /** The notebook's own resource request, unchecked (see LaunchRequest.resources). */
  resources?: unknown;
}

export interface LaunchedInfo {
  environmentId: string | undefined;
  pooled: boolean;
  kernel: LaunchedKernel;
}

export interface EnvironmentRuntimeOptions {
  base: KernelRuntime;
  pool?: WarmPool;
  /** The notebook's file id, passed on to the runtime (which may label what it starts). */
  notebookId?: string;
  /** Works out (building if needed) what this launch runs; throws KernelLaunchError for people. */
  plan(): Promise<LaunchPlan>;
  /** Told about each kernel launched, before it is connected. */
  launched?(info: LaunchedInfo): void;
}

export class EnvironmentRuntime implements KernelRuntime {
  constructor(private readonly options: EnvironmentRuntimeOptions) {}

  async launch(request: LaunchRequest): Promise<LaunchedKernel> {
    const plan = await this.options.plan();
    if (plan.environmentId && this.options.pool) {
      // The pooled kernel was started with the spec's own env; only the notebook's is missing.
      const pooled = await this.options.pool.claim(plan.environmentId, { cwd: request.cwd, env: request.env ?? {} });
      if (pooled) {
        this.options.launched?.({ environmentId: plan.environmentId, pooled: true, kernel: pooled });
        return pooled;
      }
    }
    const kernel = await this.options.base.launch({
      ...request,
      spec: plan.spec,
      image: plan.image,
      notebookId: this.options.notebookId,
      environmentId: plan.environmentId,
      resources: plan.resources,
    });
    this.options.launched?.({ environmentId: plan.environmentId, pooled: false, kernel });
    return kernel;
  }
}
