// Warm pods (issue 19), tier 1: a server with a warm pool keeps a pod of the default image
// started ahead of time, labelled unclaimed and mounting no notebook's folder, with its Secret
// and NetworkPolicy. kwok runs no kernel in it, so the claim itself is tested in tier 2
// (real-kernels.test.ts); here, what the pod is, and that the server's stop removes it.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually } from '../helpers/clients';
import { startTandem, type TandemProcess, tempRoot } from '../helpers/tandem';
import { clusterAvailable, kubernetesArgs, roleBoundKubeconfig, stopServers, useLocalCluster } from './support';

const NAMESPACE = 'warm';
const { available, reason } = await clusterAvailable();
if (!available) console.warn(`Skipping the Kubernetes warm pod tests: ${reason}`);

describe.skipIf(!available)('warm pods', () => {
  const cluster = useLocalCluster();
  let server: TandemProcess | undefined;

  beforeAll(async () => {
    const kubeconfig = await roleBoundKubeconfig(cluster(), NAMESPACE);
    server = await startTandem({ root: tempRoot(), args: kubernetesArgs(kubeconfig, NAMESPACE, { warmPool: 1 }) });
  });
  afterAll(async () => {
    await stopServers(server);
  });

  const warmObjects = async () => {
    const labelSelector = 'tandem.warm=true';
    const [pods, secrets, policies] = await Promise.all([
      cluster().core.listNamespacedPod({ namespace: NAMESPACE, labelSelector }),
      cluster().core.listNamespacedSecret({ namespace: NAMESPACE, labelSelector }),
      cluster().networking.listNamespacedNetworkPolicy({ namespace: NAMESPACE, labelSelector }),
    ]);
    return { pods: pods.items, secrets: secrets.items, policies: policies.items };
  };

  test('a warm pod of the default image waits, unclaimed, with no notebook folder and the default resources', async () => {
    const { pods, secrets, policies } = await eventually(async () => {
      const objects = await warmObjects();
      expect(objects.pods).toHaveLength(1);
      return objects;
    });
    const [pod] = pods;
    const name = pod.metadata!.name!;
    const serverId = readFileSync(`${server!.stateDir}/server-id`, 'utf8').trim();
    expect(pod.metadata?.labels).toMatchObject({ 'tandem.warm': 'true', 'tandem.notebook': 'none', 'tandem.server': serverId, 'tandem.role': 'kernel' });
    const [container] = pod.spec!.containers;
    expect(container.image).toBe('registry.invalid/tandem-kernel:test');
    expect(container.resources?.limits).toEqual({ memory: '1Gi', cpu: '1' });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true });
    // Only the connection file and scratch space: no notebook's folder is mounted in it.
    expect(pod.spec!.volumes?.map((volume) => volume.name).sort()).toEqual(['connection', 'home', 'tmp']);
    expect(secrets.map((secret) => secret.metadata?.name)).toEqual([name]);
    expect(policies.map((policy) => policy.metadata?.name)).toEqual([name]);
  });

  test("the server's stop removes its warm pod, Secret and NetworkPolicy", async () => {
    await eventually(async () => expect((await warmObjects()).pods).toHaveLength(1));
    await stopServers(server);
    server = undefined;
    await eventually(async () => expect(await warmObjects()).toEqual({ pods: [], secrets: [], policies: [] }), 30_000);
  });
});
