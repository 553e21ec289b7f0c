// The deployment manifests in deploy/kubernetes/ (issue 19) are accepted by a real API server: a
// server-side dry run of every object validates it against the server's schemas and admission,
// persisting nothing.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { describe, expect, test } from 'vitest';
import { prepareNamespace } from '../../k8s/namespace';
import { clusterAvailable, DEPLOY_DIR, useLocalCluster } from './support';

const NAMESPACE = 'tandem';
const { available, reason } = await clusterAvailable();
if (!available) console.warn(`Skipping the Kubernetes manifest tests: ${reason}`);

describe.skipIf(!available)('deployment manifests', () => {
  const cluster = useLocalCluster();

  test('every object in deploy/kubernetes passes a server-side dry run, and the kustomization lists every file', async () => {
    await prepareNamespace(cluster().cluster.kubeconfig, NAMESPACE);
    const objects = k8s.KubernetesObjectApi.makeApiClient(cluster().admin);
    const files = readdirSync(DEPLOY_DIR).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml');
    const kustomization = k8s.loadYaml<{ resources: string[] }>(readFileSync(path.join(DEPLOY_DIR, 'kustomization.yaml'), 'utf8'));
    expect([...kustomization.resources].sort()).toEqual([...files].sort());

    const accepted: string[] = [];
    for (const file of files) {
      for (const object of k8s.loadAllYaml(readFileSync(path.join(DEPLOY_DIR, file), 'utf8')) as k8s.KubernetesObject[]) {
        const created = await objects.create({ ...object, metadata: { ...object.metadata, namespace: NAMESPACE } }, undefined, 'All');
        expect(created.metadata?.uid).toBeTruthy();
        accepted.push(`${object.kind}/${object.metadata?.name}`);
      }
    }
    expect(accepted).toEqual(
      expect.arrayContaining([
        'ServiceAccount/tandem',
        'Role/tandem-kernels',
        'RoleBinding/tandem-kernels',
        'Deployment/tandem',
        'Service/tandem',
        'Deployment/tandem-redis',
        'Service/tandem-redis',
        'ConfigMap/tandem-storage',
        'Secret/tandem-storage-credentials',
        'PersistentVolumeClaim/tandem-notebooks',
        'PersistentVolumeClaim/tandem-state',
      ]),
    );
    // A dry run persists nothing.
    const deployments = await objects.list('apps/v1', 'Deployment', NAMESPACE);
    expect(deployments.items).toEqual([]);
  });

  test('the server pods carry the label that kernel NetworkPolicies admit', () => {
    const [deployment] = (k8s.loadAllYaml(readFileSync(path.join(DEPLOY_DIR, 'tandem.yaml'), 'utf8')) as k8s.V1Deployment[]).filter(
      (o) => o.kind === 'Deployment',
    );
    expect(deployment.spec?.template.metadata?.labels?.['tandem.role']).toBe('server');
    expect(deployment.spec?.template.spec?.serviceAccountName).toBe('tandem');
  });
});
