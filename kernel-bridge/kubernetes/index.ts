// The Kubernetes runtime's public surface: one pod per notebook kernel, watched, with its
// Secret and NetworkPolicy; labels and resources as the server configures them.

export { kernelObjects } from './kernel-objects';
export { KubernetesRuntime } from './kubernetes-runtime';
export { labelValue, NOTEBOOK_LABEL, ROLE_LABEL, SERVER_LABEL } from './labels';
export { parseCpu, parseMemory } from './resources';
