// Least privilege (issue 19): the Tandem server runs with a token bound to the repository's Role
// (deploy/kubernetes/rbac.yaml), which lets it manage kernel pods, their Secrets and policies in
// its namespace and nothing else. Where the cluster refuses it something, the notebook says so
// in words, and nothing is left half made.

import * as k8s from '@kubernetes/client-node';
import { afterAll, describe, expect, test } from 'vitest';
import { prepareNamespace } from '../../k8s/namespace';
import { putNotebook } from '../environments/support';
import { connectNotebook, eventually } from '../helpers/clients';
import { execute, kernelStatus } from '../helpers/execution';
import { startTandem, type TandemProcess, tempRoot } from '../helpers/tandem';
import { clusterAvailable, kubernetesArgs, objectsOf, podOf, rbacObjects, roleBoundKubeconfig, stopServers, tokenKubeconfig, useLocalCluster } from './support';

const { available, reason } = await clusterAvailable();
if (!available) console.warn(`Skipping the Kubernetes RBAC tests: ${reason}`);

describe.skipIf(!available)('RBAC', () => {
  const cluster = useLocalCluster();
  const servers: TandemProcess[] = [];
  afterAll(async () => {
    await stopServers(...servers);
  });

  async function deadWith(server: TandemProcess, path: string): Promise<{ message: string; fileId: string }> {
    await putNotebook(server, path, [{ id: 'c', source: 'print(1)' }]);
    const client = await connectNotebook(server, path);
    await execute(server, client.fileId, ['c']);
    await eventually(() => expect(kernelStatus(client)).toBe('dead'), 20_000);
    const message = String(client.doc.getMap('kernel').get('message'));
    client.destroy();
    return { message, fileId: client.fileId };
  }

  test("the Role's token may do what the runtime needs, and no more", async () => {
    const kubeconfig = await roleBoundKubeconfig(cluster(), 'bound');
    const config = new k8s.KubeConfig();
    config.loadFromFile(kubeconfig);
    const core = config.makeApiClient(k8s.CoreV1Api);
    const server = await startTandem({ root: tempRoot(), args: kubernetesArgs(kubeconfig, 'bound') });
    servers.push(server);
    await putNotebook(server, 'ok.ipynb', [{ id: 'c', source: 'print(1)' }]);
    const client = await connectNotebook(server, 'ok.ipynb');
    await execute(server, client.fileId, ['c']);
    const pod = await podOf(cluster(), 'bound', client.fileId);
    expect(pod.metadata?.labels?.['tandem.notebook']).toBe(client.fileId);
    client.destroy();

    // The same token, asked for anything else, is refused by the API server.
    const refused = async (request: Promise<unknown>): Promise<number> => {
      try {
        await request;
        return 200;
      } catch (error) {
        return error instanceof k8s.ApiException ? error.code : -1;
      }
    };
    expect(await refused(core.listNode())).toBe(403);
    expect(await refused(core.listNamespacedConfigMap({ namespace: 'bound' }))).toBe(403);
    expect(await refused(core.listNamespacedPod({ namespace: 'default' }))).toBe(403);
    expect(await refused(core.createNamespacedService({ namespace: 'bound', body: { metadata: { name: 'x' }, spec: { ports: [{ port: 80 }] } } }))).toBe(403);
  });

  test('a namespace the token is not bound in answers a clear error in the notebook', async () => {
    const kubeconfig = await roleBoundKubeconfig(cluster(), 'home');
    await prepareNamespace(cluster().cluster.kubeconfig, 'elsewhere');
    const server = await startTandem({ root: tempRoot(), args: kubernetesArgs(kubeconfig, 'elsewhere') });
    servers.push(server);
    const { message } = await deadWith(server, 'denied.ipynb');
    expect(message).toContain("Tandem is not allowed to watch pods in namespace elsewhere (forbidden by the cluster's RBAC)");
    expect(message).toContain('system:serviceaccount:home:tandem');
  });

  test('a Role that may not create NetworkPolicies refuses the kernel, says which, and leaves no Secret behind', async () => {
    const namespace = 'partial';
    await prepareNamespace(cluster().cluster.kubeconfig, namespace);
    const objects = k8s.KubernetesObjectApi.makeApiClient(cluster().admin);
    for (const object of rbacObjects()) {
      const body = { ...object, metadata: { ...object.metadata, namespace } } as k8s.KubernetesObject & { rules?: k8s.V1PolicyRule[] };
      // Everything but creating NetworkPolicies: the Secret is made before the refusal.
      if (body.kind === 'Role') {
        body.rules = body.rules?.map((rule) =>
          rule.resources?.includes('networkpolicies') ? { ...rule, verbs: rule.verbs.filter((verb) => verb !== 'create') } : rule,
        );
      }
      await objects.create(body);
    }
    const kubeconfig = await tokenKubeconfig(cluster(), namespace, 'tandem');
    const server = await startTandem({ root: tempRoot(), args: kubernetesArgs(kubeconfig, namespace) });
    servers.push(server);
    const { message, fileId } = await deadWith(server, 'no-policy.ipynb');
    expect(message).toContain("Tandem is not allowed to create a kernel's NetworkPolicy in namespace partial (forbidden by the cluster's RBAC)");
    expect(await objectsOf(cluster(), namespace, fileId)).toEqual({ pods: [], secrets: [], policies: [] });
  });
});
