// Where kernels run. A runtime launches one kernel for a kernelspec and hands back how to reach
// it and how to stop it; sessions use nothing else, so a Kubernetes runtime can replace the
// local one without changing them.

import type { KernelSpec } from '../kernelspec/kernelspec';
import type { ConnectionInfo } from '../protocol/connection-info';

export interface LaunchRequest {
  spec: KernelSpec;
  /** Working directory of the kernel: the notebook's directory. */
  cwd: string;
  /** Added to the kernel's environment, over the spec's `env`. */
  env?: Record<string, string>;
  /** The image to run, for runtimes that run images (the environment's image). */
  image?: string;
  /** The notebook's file id, for runtimes that label what they start. */
  notebookId?: string;
  /** The environment's id, for runtimes that label what they start. */
  environmentId?: string;
  /**
   * The notebook's own resource request (metadata.tandem.resources) as found, unchecked: runtimes
   * that set per-kernel resources validate it against their maximum.
   */
  resources?: unknown;
  /** Told, in words, what a launch that takes a while is waiting for ("waiting for a node"). */
  progress?: (message: string) => void;
  /**
   * Aborted once nobody wants the kernel (a shutdown or restart overtook the start): a launch
   * that is still waiting (for a node, say) gives up and removes what it made.
   */
  signal?: AbortSignal;
  /**
   * Started ahead of time, for whichever notebook claims it (the warm pool): runtimes that label
   * what they start mark it unclaimed, and mount no notebook's folder.
   */
  warm?: boolean;
}

export interface KernelExit {
  code: number | null;
  signal: string | null;
  /** The last lines the kernel wrote to stderr, to explain a crash to people. */
  stderrTail: string;
  /** Why it ended, in words, when the runtime knows better than an exit code ("ran out of its 1 GiB of memory"). */
  reason?: string;
}

export interface LaunchedKernel {
  /** For logs: a process id, a pod name. */
  readonly id: string;
  readonly connection: ConnectionInfo;
  /** Resolves once, when the kernel has exited; never rejects. */
  readonly exited: Promise<KernelExit>;
  /** Interrupts the running code as SIGINT does (for specs with interrupt_mode 'signal'). */
  interrupt(): void;
  /** 'message' when no signal can reach the kernel (a pod): interrupts then go as interrupt_request. */
  readonly interruptMode?: 'message';
  /**
   * True for a kernel an earlier server started, found running and reattached to (a pod): it
   * may be busy with a run that server sent, so it is probed on control, not behind that run.
   */
  readonly reattached?: boolean;
  /** Stops the kernel and everything it started, politely then by force; resolves when all are gone. */
  kill(): Promise<void>;
}

export interface KernelRuntime {
  /** Starts a kernel; rejects with a message for people if it could not even be started. */
  launch(request: LaunchRequest): Promise<LaunchedKernel>;
  /**
   * For runtimes whose kernels are fixed at start to their notebook (a pod mounts its folder and
   * is labelled with it): whether a warm kernel can serve this launch, and how it becomes the
   * notebook's. Undefined means the launch must start its own kernel. Runtimes without it hand
   * a warm kernel over as it is, personalised to the notebook's folder.
   */
  warmClaim?(request: LaunchRequest): Promise<WarmClaim | undefined>;
  /** True when kernels outlive the server and the next one reattaches to them (pods). */
  readonly reattaches?: boolean;
}

export interface WarmClaim {
  /** The kernel's working folder once it is the notebook's, as the kernel sees paths. */
  cwd: string;
  /** Where the warm kernel waited, as the kernel sees paths. */
  poolCwd: string;
  /** The request's environment variables as a kernel started for it would get them, when the runtime drops some. */
  env?: Record<string, string>;
  /** Makes the kernel the notebook's (labels, ownership); rejects if it cannot. */
  adopt(kernel: LaunchedKernel): Promise<void>;
}

export class KernelLaunchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelLaunchError';
  }
}
