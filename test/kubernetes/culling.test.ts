// Idle kernels are culled (issue 19): the culler shuts the kernel down, which deletes its pod,
// Secret and NetworkPolicy. A server's shutdown deletes its kernels' objects, and a server
// killed with -9 and started again on the same state removes what it had left behind.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { putNotebook } from '../environments/support';
import { connectNotebook, eventually } from '../helpers/clients';
import { execute, kernelStatus } from '../helpers/execution';
import { startTandem, type TandemProcess, tempRoot } from '../helpers/tandem';
import { clusterAvailable, kubernetesArgs, objectsOf, podOf, roleBoundKubeconfig, useLocalCluster } from './support';

const NAMESPACE = 'kernels';
const { available, reason } = await clusterAvailable();
if (!available) console.warn(`Skipping the Kubernetes culling tests: ${reason}`);

describe.skipIf(!available)('culling and clean-up', () => {
  const cluster = useLocalCluster();
  let kubeconfig: string;
  const servers: TandemProcess[] = [];
  beforeAll(async () => {
    kubeconfig = await roleBoundKubeconfig(cluster(), NAMESPACE);
  });
  afterAll(async () => {
    for (const server of servers) await server.stop();
  });

  test('an idle kernel is culled: its pod, Secret and NetworkPolicy are deleted', async () => {
    // Prestarted when an editor opens the notebook; with nothing run, it is idle from the start.
    const server = await startTandem({ root: tempRoot(), args: [...kubernetesArgs(kubeconfig, NAMESPACE), '--kernel-prestart', 'true', '--cull-idle', '4'] });
    servers.push(server);
    await putNotebook(server, 'idle.ipynb', [{ id: 'c', source: 'x = 1' }]);
    const client = await connectNotebook(server, 'idle.ipynb');
    const pod = await podOf(cluster(), NAMESPACE, client.fileId);
    expect(pod.metadata?.labels?.['tandem.notebook']).toBe(client.fileId);
    expect((await objectsOf(cluster(), NAMESPACE, client.fileId)).secrets).toEqual([pod.metadata?.name]);
    // The session reports its shutdown first; the culler's reason follows.
    await eventually(() => {
      expect(kernelStatus(client)).toBe('shutdown');
      expect(String(client.doc.getMap('kernel').get('message'))).toContain('without activity');
    }, 30_000);
    await eventually(async () => expect(await objectsOf(cluster(), NAMESPACE, client.fileId)).toEqual({ pods: [], secrets: [], policies: [] }));
    client.destroy();
  });

  test("a notebook's kernel left by a server that is gone is removed by the server that starts the notebook's kernel", async () => {
    const server = await startTandem({ root: tempRoot(), args: kubernetesArgs(kubeconfig, NAMESPACE) });
    servers.push(server);
    await putNotebook(server, 'stray.ipynb', [{ id: 'c', source: 'x = 1' }]);
    // Opened by an editor, the notebook's kernel is prestarted: its pod is there.
    const client = await connectNotebook(server, 'stray.ipynb');
    const own = (await podOf(cluster(), NAMESPACE, client.fileId)).metadata!.name!;
    // What a server killed on another machine leaves: a pod and Secret with the notebook's label.
    const labels = { 'tandem.notebook': client.fileId, 'tandem.server': 'gone-server', 'tandem.role': 'kernel' };
    const stray = 'tandem-kernel-left-behind';
    await cluster().core.createNamespacedSecret({ namespace: NAMESPACE, body: { metadata: { name: stray, labels }, stringData: { 'connection.json': '{}' } } });
    await cluster().core.createNamespacedPod({
      namespace: NAMESPACE,
      body: {
        metadata: { name: stray, labels },
        spec: { automountServiceAccountToken: false, containers: [{ name: 'kernel', image: 'registry.invalid/old:1' }] },
      },
    });
    expect((await objectsOf(cluster(), NAMESPACE, client.fileId)).pods.sort()).toEqual([stray, own].sort());

    // The next start of the notebook's kernel (a restart here) removes the stray.
    expect((await server.api('POST', `/api/notebooks/${client.fileId}/restart`)).status).toBe(200);
    await eventually(async () => {
      const objects = await objectsOf(cluster(), NAMESPACE, client.fileId);
      expect(objects.pods).toHaveLength(1);
      expect(objects.pods).not.toContain(stray);
      expect(objects.pods).not.toContain(own);
      expect(objects.secrets).toEqual(objects.pods);
    });
    client.destroy();
  });

  test("a server's shutdown deletes its kernels' objects; after kill -9, its restart does", async () => {
    const server = await startTandem({ root: tempRoot(), args: kubernetesArgs(kubeconfig, NAMESPACE) });
    await putNotebook(server, 'a.ipynb', [{ id: 'c', source: 'x = 1' }]);
    const client = await connectNotebook(server, 'a.ipynb');
    await execute(server, client.fileId, ['c']);
    await podOf(cluster(), NAMESPACE, client.fileId);
    client.destroy();
    const serverId = readFileSync(`${server.stateDir}/server-id`, 'utf8').trim();
    const labelSelector = `tandem.server=${serverId}`;
    const pods = async () => (await cluster().core.listNamespacedPod({ namespace: NAMESPACE, labelSelector })).items.length;
    const secrets = async () => (await cluster().core.listNamespacedSecret({ namespace: NAMESPACE, labelSelector })).items.length;

    await server.kill9();
    // Nothing removed them: a pod outlives the server that made it.
    expect(await pods()).toBe(1);
    expect(await secrets()).toBe(1);
    const restarted = await server.restart();
    // The restarted server answers only once its start-up clean-up is done.
    await eventually(async () => expect(await pods()).toBe(0));
    expect(await secrets()).toBe(0);

    const again = await connectNotebook(restarted, 'a.ipynb');
    await execute(restarted, again.fileId, ['c']);
    await podOf(cluster(), NAMESPACE, again.fileId);
    again.destroy();
    expect(await restarted.stop('SIGTERM')).toBe(0);
    expect(await pods()).toBe(0);
    expect(await secrets()).toBe(0);
  });
});
