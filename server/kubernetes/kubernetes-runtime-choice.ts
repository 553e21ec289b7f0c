// --runtime kubernetes: kernels as pods in one namespace of a cluster, reached with a kubeconfig
// file or, inside the cluster, with the pod's service account. A server killed and started
// again reattaches to its kernels; its shutdown deletes them. Without a registry every pod
// runs --kernel-image; with one, each notebook's environment is an image built here (as for
// the container runtime) and pushed there for its pod to pull. A server removes the pods it left
// behind when it starts (after a crash) and the ones still running when it stops.

import { KubeConfig } from '@kubernetes/client-node';
import type { BridgeLogger } from '../../kernel-bridge';
import { Podman } from '../../kernel-bridge/containers';
import { KubernetesRuntime, RegistryPublisher } from '../../kernel-bridge/kubernetes';
import { parseCpu, parseMemory } from '../../kernel-bridge/kubernetes/resources';
import { type Config, podDefaults } from '../config';
import { imageEnvironments } from '../environments/image-environments';
import type { KernelRuntimeChoice } from '../environments/kernel-runtime';

type KubernetesSettings = Pick<Config, 'kubernetes' | 'kernelMemory' | 'kernelCpus' | 'root' | 'kernelBaseImage' | 'cullIdleMs'>;

export function kubernetesKernelRuntime(config: KubernetesSettings, serverId: string, logger: BridgeLogger): KernelRuntimeChoice {
  const settings = config.kubernetes;
  const kubeconfig = new KubeConfig();
  if (settings.kubeconfig) kubeconfig.loadFromFile(settings.kubeconfig);
  else kubeconfig.loadFromDefault();
  const defaults = podDefaults(config);
  // With a registry, environments are images as for the container runtime, pushed for pods to pull.
  const podman = settings.registry ? new Podman() : undefined;
  const containers = podman ? imageEnvironments(config, podman, logger) : undefined;
  const publisher = podman && settings.registry ? new RegistryPublisher({ podman, registry: settings.registry, logger }) : undefined;
  const runtime = new KubernetesRuntime({
    config: kubeconfig,
    namespace: settings.namespace,
    serverId,
    image: settings.image,
    publish: publisher ? (image, progress) => publisher.publish(image, progress) : undefined,
    resources: {
      defaults: { memoryBytes: parseMemory(defaults.memory)!, cpuMillis: parseCpu(defaults.cpus)! },
      max: { memoryBytes: parseMemory(settings.memoryMax)!, cpuMillis: parseCpu(settings.cpusMax)! },
    },
    workspace: settings.workspaceClaim
      ? { volume: { name: 'workspace', persistentVolumeClaim: { claimName: settings.workspaceClaim } }, root: config.root }
      : undefined,
    logger,
  });
  const removeOurs = async (why: string): Promise<void> => {
    try {
      const removed = await runtime.removeOwn();
      if (removed) logger.info({ kernels: removed, namespace: settings.namespace }, why);
    } catch (error) {
      logger.warn({ error: String(error) }, 'could not remove kernel pods');
    }
  };
  let unclaimedTimer: NodeJS.Timeout | undefined;
  return {
    runtime,
    containers,
    image: containers ? undefined : settings.image,
    // Kernels an earlier run of this server left running (it was killed) are reattached when
    // their notebooks start a kernel again; those nobody comes back to within the idle-culling
    // time are culled as idle kernels would have been.
    start: async () => {
      if (config.cullIdleMs <= 0) return;
      unclaimedTimer = setTimeout(async () => {
        try {
          const removed = await runtime.removeUnclaimed();
          if (removed) logger.info({ kernels: removed, namespace: settings.namespace }, 'removed kernel pods an earlier run of this server left, unclaimed');
        } catch (error) {
          logger.warn({ error: String(error) }, 'could not remove unclaimed kernel pods');
        }
      }, config.cullIdleMs);
      unclaimedTimer.unref();
    },
    close: async () => {
      clearTimeout(unclaimedTimer);
      await containers?.close();
      await removeOurs('removing kernel pods still running at shutdown');
      await runtime.close();
    },
  };
}
