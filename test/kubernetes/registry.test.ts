// With a registry (--kernel-registry), a notebook's environment is an image built here with
// podman (as for the container runtime) and pushed to the registry, and its pod pulls it from
// there (issue 19): the kernel image for notebooks that declare nothing, an environment image
// per specification otherwise, each pushed once. A real registry (distribution) takes the pushes;
// kwok plays the node, so no pull happens here.

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { prepareContainerImages } from '../containers/support';
import { putNotebook } from '../environments/support';
import { buildWheel } from '../environments/wheels';
import { connectNotebook, type NotebookClient } from '../helpers/clients';
import { execute } from '../helpers/execution';
import { startTandem, type TandemProcess, tempRoot } from '../helpers/tandem';
import { clusterAvailable, kubernetesArgs, podOf, roleBoundKubeconfig, startRegistry, stopServers, type TestRegistry, useLocalCluster } from './support';

const NAMESPACE = 'kernels';
const BUILD_MS = 300_000;
const offline = (...requirements: string[]) => ({ requirements: [...requirements, '--find-links ./wheels', '--no-index'] });
const { available, reason } = await clusterAvailable();
if (!available) console.warn(`Skipping the Kubernetes registry tests: ${reason}`);

describe.skipIf(!available)('kernel images through a registry', () => {
  const cluster = useLocalCluster();
  let registry: TestRegistry;
  let server: TandemProcess;
  let clients: NotebookClient[] = [];

  beforeAll(async () => {
    const base = prepareContainerImages();
    registry = await startRegistry(await mkdtemp(path.join(tmpdir(), 'tandem-registry-')));
    const kubeconfig = await roleBoundKubeconfig(cluster(), NAMESPACE);
    const root = tempRoot();
    buildWheel(`${root}/one/wheels`, 'tiny-pkg', '1.2.3');
    buildWheel(`${root}/two/wheels`, 'tiny-pkg', '2.0.0');
    server = await startTandem({ root, args: [...kubernetesArgs(kubeconfig, NAMESPACE), '--kernel-registry', registry.url, '--kernel-base-image', base] });
  }, 15 * 60_000);
  afterEach(() => {
    for (const client of clients) client.destroy();
    clients = [];
  });
  afterAll(async () => {
    await stopServers(server);
    await registry?.stop();
  });

  async function podImage(notebook: string, environment?: { requirements: string[] }): Promise<string> {
    await putNotebook(server, notebook, [{ id: 'c', source: 'print(1)' }], environment);
    const client = await connectNotebook(server, notebook);
    clients.push(client);
    await execute(server, client.fileId, ['c']);
    const pod = await podOf(cluster(), NAMESPACE, client.fileId, BUILD_MS);
    return pod.spec!.containers[0].image!;
  }

  const pushesOf = (image: string): number =>
    server
      .logs()
      .split('\n')
      .filter((line) => line.includes('"pushed a kernel image"') && line.includes(`"image":"${image}"`)).length;

  test(
    'notebooks that declare nothing run the kernel image, pushed to the registry once',
    async () => {
      const host = new URL(registry.url).host;
      const first = await podImage('a.ipynb');
      expect(first).toMatch(new RegExp(`^${host}/tandem-kernel:[0-9a-f]{16}$`));
      expect(await registry.has(first.slice(host.length + 1))).toBe(true);
      expect(await podImage('b.ipynb')).toBe(first);
      expect(pushesOf(first)).toBe(1);
    },
    BUILD_MS,
  );

  test(
    'two notebooks with different requirements get different images, each in the registry',
    async () => {
      const host = new URL(registry.url).host;
      const one = await podImage('one/n.ipynb', offline('tiny-pkg==1.2.3'));
      const two = await podImage('two/n.ipynb', offline('tiny-pkg==2.0.0'));
      expect(one).toMatch(new RegExp(`^${host}/tandem-env:[0-9a-f]+$`));
      expect(two).toMatch(new RegExp(`^${host}/tandem-env:[0-9a-f]+$`));
      expect(one).not.toBe(two);
      expect(await registry.has(one.slice(host.length + 1))).toBe(true);
      expect(await registry.has(two.slice(host.length + 1))).toBe(true);
    },
    2 * BUILD_MS,
  );
});
