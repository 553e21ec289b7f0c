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
    const full: LaunchRequest = {
      ...request,
      spec: plan.spec,
      image: plan.image,
      notebookId: this.options.notebookId,
      environmentId: plan.environmentId,
      resources: plan.resources,
    };
    const pooled = await this.fromPool(plan, full);
    if (pooled) {
      this.options.launched?.({ environmentId: plan.environmentId, pooled: true, kernel: pooled });
      return pooled;
    }
    const kernel = await this.options.base.launch(full);
    this.options.launched?.({ environmentId: plan.environmentId, pooled: false, kernel });
    return kernel;
  }

  private async fromPool(plan: LaunchPlan, request: LaunchRequest): Promise<LaunchedKernel | undefined> {
    const key = poolKey(plan);
    const { pool, base } = this.options;
    if (!key || !pool) return undefined;
    // The pooled kernel was started with the spec's own env; only the notebook's is missing.
    const env = request.env ?? {};
    if (!base.warmClaim) return pool.claim(key, { cwd: request.cwd, env });
    const claim = await base.warmClaim(request);
    return claim ? pool.claim(key, { cwd: claim.cwd, env: claim.env ?? env }, claim) : undefined;
  }
}

/**
 * What a warm kernel must run to serve a plan: its environment, or, where every kernel runs one
 * image with no environment of its own, that image. A kernelspec used as installed is not pooled.
 */
export function poolKey(plan: Pick<LaunchPlan, 'environmentId' | 'image'>): string | undefined {
  return plan.environmentId ?? (plan.image ? `image ${plan.image}` : undefined);
}
