// Tier 2 (issue 19): real kernels in real pods. A kubelet with containerd pulls the notebook's
// image from the cluster's registry (pushed there by the server), and the kernel answers from
// its pod: a cell's output reaches every client, an interrupt goes as a message, a cell that
// allocates past the pod's memory limit is reported out of memory, and a restart works; a
// server killed with -9 and started again reattaches to the kernel, its state intact, and follows
// a run that was in flight. The
// server keeps a warm pod (--warm-pool defaults to 1), which a notebook that declares nothing takes.

import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { prepareContainerImages } from '../containers/support';
import { putNotebook, stdoutOf } from '../environments/support';
import { buildWheel } from '../environments/wheels';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { execute, kernelStatus, outputsOf, waitForRun } from '../helpers/execution';
import { startTandem, type TandemProcess, tempRoot } from '../helpers/tandem';
import { clusterAvailable, objectsOf, podOf, roleBoundKubeconfig, stopServers, useLocalCluster } from './support';

const NAMESPACE = 'kernels';
// The first run pushes the kernel image and the node pulls it: tens of seconds on this machine.
const FIRST_RUN_MS = 300_000;
const { available, reason } = await clusterAvailable(2);
if (!available) console.warn(`Skipping the Kubernetes tier 2 tests: ${reason}`);

describe.skipIf(!available)('real kernels in pods', () => {
  const cluster = useLocalCluster(2);
  let server: TandemProcess;
  let clients: NotebookClient[] = [];

  beforeAll(async () => {
    const base = prepareContainerImages();
    const kubeconfig = await roleBoundKubeconfig(cluster(), NAMESPACE);
    const root = tempRoot();
    buildWheel(`${root}/pkg/wheels`, 'tiny-pkg', '1.2.3');
    server = await startTandem({
      root,
      args: [
        '--runtime',
        'kubernetes',
        '--kubeconfig',
        kubeconfig,
        '--namespace',
        NAMESPACE,
        '--kernel-registry',
        cluster().cluster.registry!,
        '--kernel-base-image',
        base,
        '--kernel-memory',
        '256m',
        // A quarter of a CPU each: the node (this machine) has two, and several kernels run at once.
        '--kernel-cpus',
        '0.25',
      ],
    });
  }, 15 * 60_000);
  // Each test's kernels go when it ends: the node (this machine) has room for only a few pods
  // at a quarter of a CPU each, and a later test's pod would wait for one.
  afterEach(async () => {
    const notebooks = new Set(clients.map((client) => client.fileId));
    for (const client of clients) client.destroy();
    clients = [];
    for (const fileId of notebooks) await server.api('POST', `/api/notebooks/${fileId}/shutdown`);
  });
  afterAll(async () => {
    await stopServers(server);
  });

  async function open(path: string, source: string, environment?: { requirements: string[] }, after = 'print("alive")'): Promise<NotebookClient> {
    await putNotebook(
      server,
      path,
      [
        { id: 'c', source },
        { id: 'after', source: after },
      ],
      environment,
    );
    const client = await connectNotebook(server, path);
    clients.push(client);
    return client;
  }

  test(
    "a cell runs in the notebook's pod, and its output reaches every client",
    async () => {
      const client = await open('hello.ipynb', 'import os, socket\nprint(os.getuid(), socket.gethostname())');
      const watcher = await connectNotebook(server, 'hello.ipynb');
      clients.push(watcher);
      const [run] = await execute(server, client.fileId, ['c']);
      expect((await waitForRun(client, run.id, undefined, FIRST_RUN_MS)).status).toBe('ok');
      const pod = await podOf(cluster(), NAMESPACE, client.fileId);
      expect(pod.spec?.nodeName).toBe('localhost');
      // Run as the image's user, in the pod that carries the notebook's label.
      await eventually(() => expect(stdoutOf(outputsOf(watcher, 'c'))).toBe(`1000 ${pod.metadata?.name}\n`));
    },
    FIRST_RUN_MS,
  );

  test(
    'an interrupt reaches the kernel in its pod as a message',
    async () => {
      const client = await open('sleep.ipynb', 'import time\nprint("sleeping", flush=True)\ntime.sleep(120)');
      const [run] = await execute(server, client.fileId, ['c']);
      await eventually(() => expect(stdoutOf(outputsOf(client, 'c'))).toContain('sleeping'), FIRST_RUN_MS);
      expect((await server.api('POST', `/api/notebooks/${client.fileId}/interrupt`)).status).toBe(200);
      expect((await waitForRun(client, run.id, undefined, 30_000)).status).toBe('interrupted');
    },
    FIRST_RUN_MS,
  );

  test(
    'a cell allocating past the memory limit is reported out of memory, and a restart works',
    async () => {
      const client = await open('hog.ipynb', 'hog = b"x" * (600 * 1024 * 1024)\nprint(len(hog))');
      const [run] = await execute(server, client.fileId, ['c']);
      expect((await waitForRun(client, run.id, undefined, FIRST_RUN_MS)).status).toBe('failed');
      await eventually(() => {
        expect(kernelStatus(client)).toBe('dead');
        expect(String(client.doc.getMap('kernel').get('message'))).toContain('the kernel ran out of its 256 MiB of memory');
      }, 30_000);

      expect((await server.api('POST', `/api/notebooks/${client.fileId}/restart`)).status).toBe(200);
      await eventually(() => expect(kernelStatus(client)).toBe('idle'), FIRST_RUN_MS);
      const [again] = await execute(server, client.fileId, ['after']);
      expect((await waitForRun(client, again.id, undefined, FIRST_RUN_MS)).status).toBe('ok');
      expect(stdoutOf(outputsOf(client, 'after'))).toBe('alive\n');
    },
    2 * FIRST_RUN_MS,
  );

  test(
    "a notebook's own requirements are in its pod's image",
    async () => {
      const client = await open('pkg/n.ipynb', 'import tiny_pkg\nprint(tiny_pkg.__version__)', {
        requirements: ['tiny-pkg==1.2.3', '--find-links ./wheels', '--no-index'],
      });
      const [run] = await execute(server, client.fileId, ['c']);
      expect((await waitForRun(client, run.id, undefined, FIRST_RUN_MS)).status).toBe('ok');
      expect(stdoutOf(outputsOf(client, 'c'))).toBe('1.2.3\n');
      expect((await podOf(cluster(), NAMESPACE, client.fileId)).spec?.containers[0].image).toMatch(/\/tandem-env:[0-9a-f]+$/);
    },
    FIRST_RUN_MS,
  );

  test(
    'a notebook that declares nothing takes the warm pod, relabelled as its own, and the pool starts another',
    async () => {
      const warmPods = async () =>
        (await cluster().core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: 'tandem.warm=true' })).items.filter(
          (pod) => !pod.metadata?.deletionTimestamp,
        );
      const pool = async () => (await (await server.api('GET', '/api/environments')).json()).pool as { size: number; ready: number };
      await eventually(async () => expect((await pool()).ready).toBe(1), FIRST_RUN_MS);
      const [warm] = await warmPods();
      const name = warm.metadata!.name!;

      const client = await open('warm.ipynb', 'import os, socket\nprint(os.getcwd(), socket.gethostname())');
      const [run] = await execute(server, client.fileId, ['c']);
      expect((await waitForRun(client, run.id, undefined, FIRST_RUN_MS)).status).toBe('ok');
      expect(stdoutOf(outputsOf(client, 'c'))).toBe(`/home/tandem/work ${name}\n`);
      expect(client.doc.getMap('kernel').get('pooled')).toBe(true);
      // The notebook's now: its pod, Secret and NetworkPolicy carry its label, and no longer the warm one.
      const pod = await podOf(cluster(), NAMESPACE, client.fileId);
      expect(pod.metadata?.name).toBe(name);
      expect(pod.metadata?.labels?.['tandem.warm']).toBeUndefined();
      expect(await objectsOf(cluster(), NAMESPACE, client.fileId)).toEqual({ pods: [name], secrets: [name], policies: [name] });
      await eventually(async () => {
        const next = await warmPods();
        expect(next).toHaveLength(1);
        expect(next[0].metadata?.name).not.toBe(name);
      }, FIRST_RUN_MS);
    },
    2 * FIRST_RUN_MS,
  );

  test(
    'a run in flight when the server is killed keeps writing its outputs after the restart, and ends ok',
    async () => {
      await putNotebook(server, 'flight.ipynb', [{ id: 'loop', source: 'import time\nfor i in range(40):\n    print(i, flush=True)\n    time.sleep(0.5)' }]);
      const client = await connectNotebook(server, 'flight.ipynb');
      const [run] = await execute(server, client.fileId, ['loop']);
      await eventually(() => expect(stdoutOf(outputsOf(client, 'loop'))).toContain('3\n'), FIRST_RUN_MS);
      client.destroy();

      await server.kill9();
      server = await server.restart();
      const again = await connectNotebook(server, 'flight.ipynb');
      clients.push(again);
      // Followed again: the lines printed while no server listened are lost, the rest arrive.
      const record = await waitForRun(again, run.id, undefined, 60_000);
      expect(record).toMatchObject({ status: 'ok' });
      const printed = stdoutOf(outputsOf(again, 'loop'));
      expect(printed).toMatch(/^0\n1\n2\n3\n/);
      expect(printed).toMatch(/\n39\n$/);
      await eventually(() => expect(kernelStatus(again)).toBe('idle'));
    },
    2 * FIRST_RUN_MS,
  );

  test(
    'a run that ended while the server was down is reported so after the restart, and the kernel goes on',
    async () => {
      await putNotebook(server, 'unheard.ipynb', [
        { id: 'short', source: 'import time\nprint("started", flush=True)\ntime.sleep(2)\nfinished = True' },
        { id: 'check', source: 'print(finished)' },
      ]);
      const client = await connectNotebook(server, 'unheard.ipynb');
      const [run] = await execute(server, client.fileId, ['short']);
      await eventually(() => expect(stdoutOf(outputsOf(client, 'short'))).toBe('started\n'), FIRST_RUN_MS);
      client.destroy();

      await server.kill9();
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      server = await server.restart();
      const again = await connectNotebook(server, 'unheard.ipynb');
      clients.push(again);
      const record = await waitForRun(again, run.id, undefined, 60_000);
      expect(record.status).toBe('failed');
      expect(record.message).toContain('ended while the server was restarting');
      const [check] = await execute(server, again.fileId, ['check']);
      expect((await waitForRun(again, check.id, undefined, 60_000)).status).toBe('ok');
      expect(stdoutOf(outputsOf(again, 'check'))).toBe('True\n');
    },
    2 * FIRST_RUN_MS,
  );

  test(
    'after kill -9 and a restart, the server reattaches to the running kernel, its variables intact',
    async () => {
      await putNotebook(server, 'state.ipynb', [
        { id: 'set', source: 'secret = 6 * 7' },
        { id: 'get', source: 'print(secret)' },
      ]);
      const client = await connectNotebook(server, 'state.ipynb');
      const [set] = await execute(server, client.fileId, ['set']);
      expect((await waitForRun(client, set.id, undefined, FIRST_RUN_MS)).status).toBe('ok');
      const pod = (await podOf(cluster(), NAMESPACE, client.fileId)).metadata?.name;
      client.destroy();

      await server.kill9();
      server = await server.restart();
      const again = await connectNotebook(server, 'state.ipynb');
      clients.push(again);
      const [get] = await execute(server, again.fileId, ['get']);
      expect((await waitForRun(again, get.id, undefined, 60_000)).status).toBe('ok');
      expect(stdoutOf(outputsOf(again, 'get'))).toBe('42\n');
      expect((await podOf(cluster(), NAMESPACE, again.fileId)).metadata?.name).toBe(pod);
    },
    FIRST_RUN_MS,
  );
});
