// What a notebook's kernel pod looks like on a real API server (issue 19): non-root, a read-only
// root filesystem, the server's memory and CPU (or the notebook's, within the maximum), the
// connection file in a read-only Secret, the labels, and a NetworkPolicy admitting only
// Tandem's servers. The server runs with a token bound to the repository's Role, not as admin.

import { readFileSync } from 'node:fs';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { putNotebook } from '../environments/support';
import { connectNotebook, eventually } from '../helpers/clients';
import { execute, kernelStatus } from '../helpers/execution';
import { makeNotebook } from '../helpers/notebooks';
import { startTandem, type TandemProcess, tempRoot } from '../helpers/tandem';
import { clusterAvailable, kubernetesArgs, objectsOf, podOf, roleBoundKubeconfig, stopServers, useLocalCluster } from './support';

const NAMESPACE = 'kernels';
const { available, reason } = await clusterAvailable();
if (!available) console.warn(`Skipping the Kubernetes pod spec tests: ${reason}`);

describe.skipIf(!available)('kernel pods', () => {
  const cluster = useLocalCluster();
  let server: TandemProcess;

  beforeAll(async () => {
    const kubeconfig = await roleBoundKubeconfig(cluster(), NAMESPACE);
    server = await startTandem({ root: tempRoot(), args: kubernetesArgs(kubeconfig, NAMESPACE) });
  });
  afterAll(async () => {
    await stopServers(server);
  });

  test('a notebook gets a non-root, read-only, limited pod, its connection file in a Secret, labelled and behind a NetworkPolicy', async () => {
    await putNotebook(server, 'spec.ipynb', [{ id: 'c', source: 'print(1)' }]);
    const client = await connectNotebook(server, 'spec.ipynb');
    await execute(server, client.fileId, ['c']);
    const pod = await podOf(cluster(), NAMESPACE, client.fileId);
    const name = pod.metadata!.name!;
    const serverId = readFileSync(`${server.stateDir}/server-id`, 'utf8').trim();

    expect(pod.metadata?.labels).toMatchObject({
      'tandem.notebook': client.fileId,
      'tandem.server': serverId,
      'tandem.role': 'kernel',
      'tandem.kernel': name,
    });
    expect(pod.metadata?.labels?.['tandem.environment']).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
    const spec = pod.spec!;
    expect(spec.restartPolicy).toBe('Never');
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 });
    const [container] = spec.containers;
    expect(container.image).toBe('registry.invalid/tandem-kernel:test');
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.resources?.limits).toEqual({ memory: '1Gi', cpu: '1' });
    expect(container.resources?.requests).toEqual({ memory: '1Gi', cpu: '1' });
    // Host paths mean nothing in a pod: none of the server's reaches it.
    expect((container.env ?? []).map((variable) => variable.name)).not.toContain('PYTHONPATH');

    // The connection file: a read-only mount of the kernel's own Secret, readable by its group only.
    expect(container.args).toEqual(['/run/tandem/connection.json']);
    expect(container.volumeMounts).toContainEqual(expect.objectContaining({ name: 'connection', mountPath: '/run/tandem', readOnly: true }));
    const connectionVolume = spec.volumes?.find((volume) => volume.name === 'connection');
    expect(connectionVolume?.secret).toMatchObject({ secretName: name, defaultMode: 0o440 });
    const secret = await cluster().core.readNamespacedSecret({ name, namespace: NAMESPACE });
    expect(secret.immutable).toBe(true);
    expect(secret.metadata?.labels?.['tandem.notebook']).toBe(client.fileId);
    const connection = JSON.parse(Buffer.from(secret.data!['connection.json'], 'base64').toString('utf8'));
    expect(connection).toMatchObject({ transport: 'tcp', ip: '0.0.0.0', signature_scheme: 'hmac-sha256', shell_port: 50001, hb_port: 50005 });
    expect(connection.key).toMatch(/^[0-9a-f]{64}$/);
    // The key is in the Secret only, never in the pod's spec.
    expect(JSON.stringify(pod)).not.toContain(connection.key);

    const policy = await cluster().networking.readNamespacedNetworkPolicy({ name, namespace: NAMESPACE });
    expect(policy.metadata?.labels?.['tandem.notebook']).toBe(client.fileId);
    expect(policy.spec?.podSelector.matchLabels).toEqual({ 'tandem.kernel': name });
    expect(policy.spec?.policyTypes).toEqual(['Ingress']);
    expect(policy.spec?.ingress).toHaveLength(1);
    expect(policy.spec?.ingress?.[0]._from).toEqual([{ podSelector: { matchLabels: { 'tandem.role': 'server' } } }]);
    expect(policy.spec?.ingress?.[0].ports?.map((port) => port.port).sort()).toEqual([50001, 50002, 50003, 50004, 50005]);

    // kwok plays the node: the pod is scheduled and running, while the kernel (which no
    // container runs here) is still awaited.
    const running = await eventually(async () => {
      const now = await podOf(cluster(), NAMESPACE, client.fileId);
      expect(now.status?.phase).toBe('Running');
      return now;
    });
    expect(running.spec?.nodeName).toBe('kwok-node-0');
    expect(kernelStatus(client)).toBe('starting');
    client.destroy();
  });

  test("a notebook's own memory and CPUs within the server's maximum are its pod's", async () => {
    const client = await notebookAsking('more.ipynb', { memory: '2g', cpus: '1.5' });
    await execute(server, client.fileId, ['c']);
    const pod: V1Pod = await podOf(cluster(), NAMESPACE, client.fileId);
    expect(pod.spec?.containers[0].resources?.limits).toEqual({ memory: '2Gi', cpu: '1500m' });
    client.destroy();
  });

  test('a notebook asking for more memory than the server allows gets a clear error, and no pod', async () => {
    const client = await notebookAsking('greedy.ipynb', { memory: '64g' });
    const [run] = await execute(server, client.fileId, ['c']);
    await eventually(() => expect(kernelStatus(client)).toBe('dead'));
    const message = String(client.doc.getMap('kernel').get('message'));
    expect(message).toContain('asks for 64 GiB of memory, more than the 4 GiB this server allows a kernel');
    await eventually(() => expect(client.doc.getMap<{ status: string }>('executions').get(run.id)?.status).toBe('failed'));
    expect(await objectsOf(cluster(), NAMESPACE, client.fileId)).toEqual({ pods: [], secrets: [], policies: [] });
    client.destroy();
  });

  test('malformed resources are refused with what is allowed', async () => {
    const client = await notebookAsking('odd.ipynb', { memory: '2g; rm -rf /', privileged: true });
    await execute(server, client.fileId, ['c']);
    await eventually(() => expect(kernelStatus(client)).toBe('dead'));
    expect(String(client.doc.getMap('kernel').get('message'))).toContain('may hold only memory and cpus, not privileged');
    expect(await objectsOf(cluster(), NAMESPACE, client.fileId)).toEqual({ pods: [], secrets: [], policies: [] });
    client.destroy();
  });

  test('a notebook declaring its own environment is told this server cannot build it yet, and gets no pod', async () => {
    await putNotebook(server, 'own-env.ipynb', [{ id: 'c', source: 'print(1)' }], { requirements: ['six'] });
    const client = await connectNotebook(server, 'own-env.ipynb');
    await execute(server, client.fileId, ['c']);
    await eventually(() => expect(kernelStatus(client)).toBe('dead'));
    const kernel = client.doc.getMap('kernel');
    expect(String(kernel.get('message'))).toContain('runs every kernel in the image registry.invalid/tandem-kernel:test');
    expect(String(kernel.get('environmentError'))).toContain('Remove the environment to run the notebook here');
    expect(await objectsOf(cluster(), NAMESPACE, client.fileId)).toEqual({ pods: [], secrets: [], policies: [] });
    client.destroy();
  });

  async function notebookAsking(path: string, resources: Record<string, unknown>) {
    const content = makeNotebook([{ id: 'c', source: 'print(1)' }]) as { metadata: Record<string, unknown> };
    content.metadata.tandem = { resources };
    const response = await server.api('PUT', `/api/contents/${path}`, { type: 'notebook', format: 'json', content });
    expect(response.status).toBeLessThan(300);
    return connectNotebook(server, path);
  }
});
