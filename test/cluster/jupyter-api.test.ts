// The Jupyter kernel API in cluster mode follows the notebooks: a JupyterLab-style client on any
// replica gets the notebook's one shared kernel, run by the notebook's owner (the session is
// made there, and the kernel's channels are passed through); sessions and standalone kernels
// are found from any replica.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectNotebook, type NotebookClient } from '../helpers/clients';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { type JupyterClients, jupyterClients, run, stdout } from '../helpers/jupyter';

let cluster: TestCluster;
let owner: NotebookClient;
let onA: JupyterClients;

beforeAll(async () => {
  cluster = await startCluster(2);
}, 120_000);

afterAll(async () => {
  onA?.dispose();
  owner?.destroy();
  await cluster?.stop();
});

const parentOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);

test("a session opened through another replica runs on the owner's kernel, and the session is found from any replica", async () => {
  const [replicaA, replicaB] = cluster.replicas;
  cluster.writeNotebook('lab.ipynb', [{ id: 'l1', source: '' }]);
  owner = await connectNotebook(replicaB, 'lab.ipynb');
  onA = jupyterClients(replicaA);
  const session = await onA.sessions.startNew({ path: 'lab.ipynb', name: 'lab.ipynb', type: 'notebook' });
  expect(session.kernel!.id).toBe(owner.fileId);

  const result = await run(session.kernel!, 'import os\nshared = 7\nprint(os.getpid())');
  const kernelPid = Number(stdout(result).trim());
  const ancestors: number[] = [];
  for (let pid = kernelPid; pid > 1 && ancestors.length < 10; pid = parentOf(pid)) ancestors.push(pid);
  expect(ancestors).toContain(replicaB.process.pid);
  expect(ancestors).not.toContain(replicaA.process.pid);

  // The same session, asked for on either replica.
  for (const replica of cluster.replicas) {
    const found = await replica.api('GET', `/api/sessions/${session.id}`);
    expect(found.status).toBe(200);
    expect((await found.json()).kernel.id).toBe(owner.fileId);
  }
  expect((await replicaA.api('GET', '/api/sessions/no-such-session')).status).toBe(404);
  await session.shutdown();
});

test('a standalone kernel started on one replica is reached from another', async () => {
  const [replicaA, replicaB] = cluster.replicas;
  const started = await replicaB.api('POST', '/api/kernels', { name: 'python3' });
  expect(started.status).toBe(201);
  const { id } = await started.json();
  const seen = await replicaA.api('GET', `/api/kernels/${id}`);
  expect(seen.status).toBe(200);
  expect((await seen.json()).id).toBe(id);
  expect((await replicaA.api('DELETE', `/api/kernels/${id}`)).status).toBe(204);
  expect((await replicaB.api('GET', `/api/kernels/${id}`)).status).toBe(404);
});
