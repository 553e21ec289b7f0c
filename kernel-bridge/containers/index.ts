// The container runtime's public surface: podman, kernel and environment images by hash, and
// a runtime that runs one container per notebook kernel.

export { ContainerEnvironments, type ImagePlan } from './container-environments';
export { ContainerRuntime, SERVER_LABEL } from './container-runtime';
export { Podman } from './podman';
export { WarmSlots } from './warm-slots';
