// Idle kernels are culled (issue 19): the culler shuts the kernel down, which deletes its pod,
// Secret and NetworkPolicy. A server's shutdown deletes its kernels' objects. A server killed
// with -9 and started again on the same state reattaches to its kernels (found by their labels,
// their keys read back from their Secrets); those nobody comes back to are culled.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { putNotebook } from '../environments/support';
import { connectNotebook, eventually } from '../helpers/clients';
import { execute, kernelStatus } from '../helpers/execution';
import { startTandem, type TandemProcess, tempRoot } from '../helpers/tandem';
import { clusterAvailable, kubernetesArgs, objectsOf, podOf, roleBoundKubeconfig, stopServers, useLocalCluster } from './support';

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
    await stopServers(...servers);
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

  test("after kill -9, the restarted server reattaches to the notebook's pod; its shutdown deletes its kernels", async () => {
    const server = await startTandem({ root: tempRoot(), args: kubernetesArgs(kubeconfig, NAMESPACE) });
    await putNotebook(server, 'a.ipynb', [{ id: 'c', source: 'x = 1' }]);
    const client = await connectNotebook(server, 'a.ipynb');
    await execute(server, client.fileId, ['c']);
    // Running, with its address: a pod still starting when its server dies is replaced, not
    // reattached to.
    const pod = await eventually(async () => {
      const found = await podOf(cluster(), NAMESPACE, client.fileId);
      expect(found.status?.phase).toBe('Running');
      expect(found.status?.podIP).toBeTruthy();
      return found.metadata!.name!;
    }, 60_000);
    client.destroy();
    const serverId = readFileSync(`${server.stateDir}/server-id`, 'utf8').trim();
    const labelSelector = `tandem.server=${serverId}`;
    const pods = async () => (await cluster().core.listNamespacedPod({ namespace: NAMESPACE, labelSelector })).items.map((item) => item.metadata?.name);
    const secrets = async () => (await cluster().core.listNamespacedSecret({ namespace: NAMESPACE, labelSelector })).items.map((item) => item.metadata?.name);

    await server.kill9();
    // Nothing removed them: a pod outlives the server that made it.
    expect(await pods()).toEqual([pod]);
    const restarted = await server.restart();
    const again = await connectNotebook(restarted, 'a.ipynb');
    await execute(restarted, again.fileId, ['c']);
    // A 202 only queues the run; on a loaded machine the kernel's start comes seconds later.
    await eventually(() => expect(restarted.logs()).toContain("reattaching to the notebook's running kernel"), 60_000);
    // The same pod and Secret: no new kernel was made.
    expect(await pods()).toEqual([pod]);
    expect(await secrets()).toEqual([pod]);
    again.destroy();
    expect(await restarted.stop('SIGTERM')).toBe(0);
    expect(await pods()).toEqual([]);
    expect(await secrets()).toEqual([]);
  });

  test('a kernel that a killed server left, and that nobody reattaches to, is culled after the idle time', async () => {
    const args = [...kubernetesArgs(kubeconfig, NAMESPACE), '--cull-idle', '3'];
    const server = await startTandem({ root: tempRoot(), args });
    await putNotebook(server, 'left.ipynb', [{ id: 'c', source: 'x = 1' }]);
    const client = await connectNotebook(server, 'left.ipynb');
    // A queued run keeps the kernel busy: the culler of this server leaves it alone.
    await execute(server, client.fileId, ['c']);
    await podOf(cluster(), NAMESPACE, client.fileId);
    client.destroy();
    await server.kill9();
    expect((await objectsOf(cluster(), NAMESPACE, client.fileId)).pods).toHaveLength(1);
    const restarted = await server.restart();
    servers.push(restarted);
    await eventually(async () => expect(await objectsOf(cluster(), NAMESPACE, client.fileId)).toEqual({ pods: [], secrets: [], policies: [] }), 30_000);
    // Logged once the deletions are answered, which can be just after the listing above is empty.
    await eventually(() => expect(restarted.logs()).toContain('unclaimed'));
  });
});
