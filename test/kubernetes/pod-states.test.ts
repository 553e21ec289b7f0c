// The runtime follows its pods through a watch (issue 19): whatever happens to a kernel's pod
// from outside (its container killed for memory, the pod evicted, failed, or deleted) reaches
// the notebook's `kernel` map with the reason in words, and the pod's objects are cleaned up.
// kwok plays the node, so the tests report those events as a kubelet would, through the pod's
// status on the real API server.

import type { V1PodStatus } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { putNotebook } from '../environments/support';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { execute, kernelStatus } from '../helpers/execution';
import { startTandem, type TandemProcess, tempRoot } from '../helpers/tandem';
import { clusterAvailable, kubernetesArgs, objectsOf, podOf, roleBoundKubeconfig, setPodStatus, stopServers, useLocalCluster } from './support';

const NAMESPACE = 'kernels';
const { available, reason } = await clusterAvailable();
if (!available) console.warn(`Skipping the Kubernetes pod state tests: ${reason}`);

describe.skipIf(!available)('pod states in the kernel map', () => {
  const cluster = useLocalCluster();
  let server: TandemProcess;

  beforeAll(async () => {
    const kubeconfig = await roleBoundKubeconfig(cluster(), NAMESPACE);
    server = await startTandem({ root: tempRoot(), args: kubernetesArgs(kubeconfig, NAMESPACE) });
  });
  afterAll(async () => {
    await stopServers(server);
  });

  /** A notebook whose run waits on a kernel pod that kwok reports Running. */
  async function runningPod(path: string): Promise<{ client: NotebookClient; name: string; runId: string }> {
    await putNotebook(server, path, [{ id: 'c', source: 'x = 1' }]);
    const client = await connectNotebook(server, path);
    const [run] = await execute(server, client.fileId, ['c']);
    const pod = await eventually(async () => {
      const now = await podOf(cluster(), NAMESPACE, client.fileId);
      expect(now.status?.phase).toBe('Running');
      return now;
    });
    expect(kernelStatus(client)).toBe('starting');
    return { client, name: pod.metadata!.name!, runId: run.id };
  }

  async function expectDead(client: NotebookClient, runId: string, words: string): Promise<void> {
    await eventually(() => expect(kernelStatus(client)).toBe('dead'), 20_000);
    expect(String(client.doc.getMap('kernel').get('message'))).toContain(words);
    await eventually(() => expect(client.doc.getMap<{ status: string }>('executions').get(runId)?.status).toBe('failed'));
  }

  const terminated =
    (reason: string, exitCode: number) =>
    (status: V1PodStatus): V1PodStatus => ({
      ...status,
      phase: 'Failed',
      containerStatuses: (status.containerStatuses ?? []).map((container) => ({
        ...container,
        ready: false,
        state: { terminated: { reason, exitCode, startedAt: container.state?.running?.startedAt, finishedAt: new Date() } },
      })),
    });

  test('a kernel killed for memory is reported as out of its memory, and its pod, Secret and policy go', async () => {
    const { client, name, runId } = await runningPod('oom.ipynb');
    await setPodStatus(cluster(), NAMESPACE, name, terminated('OOMKilled', 137));
    await expectDead(client, runId, 'the kernel ran out of its 1 GiB of memory');
    await eventually(async () => expect(await objectsOf(cluster(), NAMESPACE, client.fileId)).toEqual({ pods: [], secrets: [], policies: [] }));
    client.destroy();
  });

  test('a pod forced to Failed reports its reason', async () => {
    const { client, name, runId } = await runningPod('failed.ipynb');
    await setPodStatus(cluster(), NAMESPACE, name, terminated('Error', 3));
    await expectDead(client, runId, "the kernel's container stopped with exit code 3 (Error)");
    await eventually(async () => expect(await objectsOf(cluster(), NAMESPACE, client.fileId)).toEqual({ pods: [], secrets: [], policies: [] }));
    client.destroy();
  });

  test('an evicted pod is reported as evicted, with the node’s message', async () => {
    const { client, name, runId } = await runningPod('evicted.ipynb');
    await setPodStatus(cluster(), NAMESPACE, name, (status) => ({
      ...status,
      phase: 'Failed',
      reason: 'Evicted',
      message: 'The node was low on resource: memory.',
    }));
    await expectDead(client, runId, "the kernel's pod was evicted: The node was low on resource: memory.");
    client.destroy();
  });

  test('a pod deleted from outside is reported as deleted, and its Secret and policy go too', async () => {
    const { client, name, runId } = await runningPod('deleted.ipynb');
    await cluster().core.deleteNamespacedPod({ name, namespace: NAMESPACE, gracePeriodSeconds: 0 });
    await expectDead(client, runId, "the kernel's pod was deleted");
    await eventually(async () => expect(await objectsOf(cluster(), NAMESPACE, client.fileId)).toEqual({ pods: [], secrets: [], policies: [] }));
    client.destroy();
  });

  test('an image that cannot be pulled is reported with the puller’s message', async () => {
    const { client, name, runId } = await runningPod('pull.ipynb');
    await setPodStatus(cluster(), NAMESPACE, name, (status) => ({
      ...status,
      containerStatuses: (status.containerStatuses ?? []).map((container) => ({
        ...container,
        ready: false,
        state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.invalid/tandem-kernel:test"' } },
      })),
    }));
    await expectDead(client, runId, 'could not be pulled (ImagePullBackOff: Back-off pulling image');
    client.destroy();
  });

  const cordon = (unschedulable: boolean) =>
    eventually(async () => {
      // Replaced whole (kwok updates the node's status meanwhile: a conflict is tried again).
      const node = await cluster().core.readNode({ name: 'kwok-node-0' });
      await cluster().core.replaceNode({ name: 'kwok-node-0', body: { ...node, spec: { ...node.spec, unschedulable } } });
    });

  test('a pod that waits for a node says why in the kernel map, and runs once the node takes it', async () => {
    await cordon(true);
    let fileId: string;
    try {
      await putNotebook(server, 'waiting.ipynb', [{ id: 'c', source: 'x = 1' }]);
      const client = await connectNotebook(server, 'waiting.ipynb');
      fileId = client.fileId;
      await execute(server, client.fileId, ['c']);
      await eventually(() => {
        expect(kernelStatus(client)).toBe('starting');
        expect(String(client.doc.getMap('kernel').get('message'))).toContain('waiting for a node that can take it (Unschedulable: 0/1 nodes are available');
      }, 20_000);
      client.destroy();
    } finally {
      await cordon(false);
    }
    await eventually(async () => expect((await podOf(cluster(), NAMESPACE, fileId)).status?.phase).toBe('Running'), 30_000);
  });

  test('shutting down a kernel that waits for a node gives up the wait and removes its pod', async () => {
    await cordon(true);
    try {
      await putNotebook(server, 'abandoned.ipynb', [{ id: 'c', source: 'x = 1' }]);
      const client = await connectNotebook(server, 'abandoned.ipynb');
      const [run] = await execute(server, client.fileId, ['c']);
      await eventually(() => expect(String(client.doc.getMap('kernel').get('message'))).toContain('waiting for a node'), 20_000);
      expect((await server.api('POST', `/api/notebooks/${client.fileId}/shutdown`)).status).toBeLessThan(300);
      // Without giving up, the start would wait out its five minutes before the shutdown ran.
      await eventually(() => expect(kernelStatus(client)).toBe('shutdown'), 20_000);
      expect(client.doc.getMap<{ status: string }>('executions').get(run.id)?.status).toBe('cancelled');
      await eventually(async () => expect(await objectsOf(cluster(), NAMESPACE, client.fileId)).toEqual({ pods: [], secrets: [], policies: [] }), 20_000);
      client.destroy();
    } finally {
      await cordon(false);
    }
  });

  test('after a death, running again makes a new pod', async () => {
    const { client, name } = await runningPod('again.ipynb');
    await cluster().core.deleteNamespacedPod({ name, namespace: NAMESPACE, gracePeriodSeconds: 0 });
    await eventually(() => expect(kernelStatus(client)).toBe('dead'), 20_000);
    const restart = await server.api('POST', `/api/notebooks/${client.fileId}/restart`);
    expect(restart.status).toBeLessThan(300);
    const again = await eventually(async () => {
      const pod = await podOf(cluster(), NAMESPACE, client.fileId);
      expect(pod.metadata?.name).not.toBe(name);
      return pod;
    });
    expect(again.metadata?.labels?.['tandem.notebook']).toBe(client.fileId);
    client.destroy();
  });
});
