// Chooses where kernels run, once, from --runtime: local processes (the default), one podman
// container per notebook from the image of its environment, or one pod per notebook. Nothing else in the server knows
// which; it sees a KernelRuntime, and for containers the images that environments become.

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BridgeLogger, LocalRuntime } from '../../kernel-bridge';
import { type ContainerEnvironments, ContainerRuntime, Podman, SERVER_LABEL, WarmSlots } from '../../kernel-bridge/containers';
import type { KernelRuntime } from '../../kernel-bridge/runtimes/runtime';
import type { Config } from '../config';
import { imageEnvironments } from './image-environments';

export interface KernelRuntimeChoice {
  runtime: KernelRuntime;
  /** Set for the container runtime: environments are images. */
  containers: ContainerEnvironments | undefined;
  /** Set when every kernel runs this one image (Kubernetes, for now): a notebook's own environment is refused. */
  image?: string;
  /**
   * False when a kernel started ahead of time could serve no notebook (containers where notebook
   * folders cannot be mounted into running containers: rootless podman). Read after start().
   */
  readonly poolable?: boolean;
  /** Before the first kernel: removes what an earlier, killed server left behind. */
  start(): Promise<void>;
  /** After the last kernel: removes whatever is left of this server's. */
  close(): Promise<void>;
}

type RuntimeConfig = Pick<
  Config,
  | 'runtime'
  | 'stateDir'
  | 'envCacheDir'
  | 'warmPool'
  | 'warmContainers'
  | 'kernelBaseImage'
  | 'kernelMemory'
  | 'kernelCpus'
  | 'kernelPids'
  | 'kubernetes'
  | 'root'
  | 'cullIdleMs'
>;

/** Kernels as local processes: the embedded default. */
export function localKernelRuntime(logger: BridgeLogger): KernelRuntimeChoice {
  return { runtime: new LocalRuntime({ logger }), containers: undefined, start: async () => {}, close: async () => {} };
}

export async function createKernelRuntime(config: RuntimeConfig, logger: BridgeLogger): Promise<KernelRuntimeChoice> {
  if (config.runtime === 'local') return localKernelRuntime(logger);
  if (config.runtime === 'kubernetes') {
    // The Kubernetes client is loaded only for this runtime: it is the largest module the
    // server could hold (about 80 MB resident), and most servers never start a pod.
    const { kubernetesKernelRuntime } = await import('../kubernetes/kubernetes-runtime-choice');
    return kubernetesKernelRuntime(config, serverIdOf(config.stateDir), logger);
  }
  const podman = new Podman();
  const serverId = serverIdOf(config.stateDir);
  // Image uses are recorded beside the venvs, whose garbage collection they share.
  const containers = imageEnvironments(config, podman, logger, join(config.envCacheDir, '.image-uses'));
  const slots = new WarmSlots(join(config.stateDir, 'container-slots'), logger);
  const runtime = new ContainerRuntime({
    podman,
    serverId,
    limits: { memory: config.kernelMemory, cpus: config.kernelCpus, pids: config.kernelPids },
    hidden: [config.stateDir],
    slots,
    logger,
  });
  const removeOurs = async (why: string): Promise<void> => {
    try {
      const left = await podman.containersLabelled({ [SERVER_LABEL]: serverId });
      if (left.length) logger.info({ containers: left.length }, why);
      await podman.removeContainers(left);
    } catch (error) {
      logger.warn({ error: String(error) }, 'could not remove kernel containers');
    }
  };
  return {
    runtime,
    containers,
    // A warm container is given its notebook's folder by a mount onto its slot, which needs root.
    get poolable() {
      return slots.enabled;
    },
    // The containers first: the slot mounts an earlier run left are unmounted once nothing uses them.
    start: async () => {
      await removeOurs('removing kernel containers that an earlier run of this server left behind');
      // Without a pool, slots are only cleaned: no shared mount is made for nothing.
      // Warm containers are opt-in: podman cannot label a running container, so one claimed
      // from the pool never carries the tandem.notebook=<fileId> label that DESIGN.md promises
      // for every container Tandem starts (it is named for its notebook instead). By default
      // that contract holds and kernels start cold.
      await slots.prepare(config.warmPool > 0 && config.warmContainers);
    },
    close: async () => {
      await containers.close();
      await removeOurs('removing kernel containers still running at shutdown');
      await slots.close();
    },
  };
}

/**
 * This server's id, kept in its state directory: a server started again on the same state is
 * the same server, and so knows which containers are its own leftovers.
 */
function serverIdOf(stateDir: string): string {
  const file = join(stateDir, 'server-id');
  if (existsSync(file)) {
    const id = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{16}$/.test(id)) return id;
  }
  const id = randomBytes(8).toString('hex');
  writeFileSync(file, `${id}\n`, { mode: 0o600 });
  return id;
}
