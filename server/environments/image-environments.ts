// Environments as images, built with podman from the repository's Dockerfiles over
// --kernel-base-image: for the container runtime, and for the Kubernetes runtime with a registry.

import type { BridgeLogger } from '../../kernel-bridge';
import { ContainerEnvironments, type Podman } from '../../kernel-bridge/containers';
import type { Config } from '../config';
import { projectPath } from '../project-files';

/** `usesDir`: where uses of environment images are recorded for garbage collection (none without). */
export function imageEnvironments(config: Pick<Config, 'kernelBaseImage'>, podman: Podman, logger?: BridgeLogger, usesDir?: string): ContainerEnvironments {
  return new ContainerEnvironments({
    podman,
    usesDir,
    baseImage: config.kernelBaseImage,
    kernel: {
      dockerfile: projectPath('images', 'kernel', 'Dockerfile'),
      requirements: projectPath('images', 'kernel', 'requirements.txt'),
      helperDir: projectPath('images', 'tandem-helper'),
    },
    environmentDockerfile: projectPath('images', 'environment', 'Dockerfile'),
    logger,
  });
}
