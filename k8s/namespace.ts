// A namespace ready for pods on the local cluster. It runs no controller manager, so nothing
// makes a namespace's `default` ServiceAccount, which admission requires of every pod; a real
// cluster has one already.

import * as k8s from '@kubernetes/client-node';

export async function prepareNamespace(kubeconfigPath: string, namespace: string): Promise<void> {
  const config = new k8s.KubeConfig();
  config.loadFromFile(kubeconfigPath);
  const core = config.makeApiClient(k8s.CoreV1Api);
  await ignoreConflict(core.createNamespace({ body: { metadata: { name: namespace } } }));
  await ignoreConflict(core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'default' } } }));
}

async function ignoreConflict(request: Promise<unknown>): Promise<void> {
  try {
    await request;
  } catch (error) {
    if (!(error instanceof k8s.ApiException && error.code === 409)) throw error;
  }
}
