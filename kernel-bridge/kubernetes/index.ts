// The Kubernetes runtime's public surface: one pod per notebook kernel, watched, with its
// Secret and NetworkPolicy. Sizes and CPU amounts are read by kubernetes/resources.ts, which
// the server's settings use without loading the client library.

export { KubernetesRuntime } from './kubernetes-runtime';
export { RegistryPublisher } from './registry-publisher';
