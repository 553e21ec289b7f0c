// Three replicas in cluster mode on one shared root, one Redis: clients on different replicas
// edit one notebook together, a run asked on one replica is carried out by the notebook's
// owner on another, and everything (outputs, cursors) reaches clients on the third.

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as Y from 'yjs';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { execute, outputsOf, waitForRun } from '../helpers/execution';
import { openRaw, roomUrl, syncMessage } from '../helpers/raw-socket';

let cluster: TestCluster;
const clients: NotebookClient[] = [];

beforeAll(async () => {
  cluster = await startCluster(3);
}, 120_000);

afterAll(async () => {
  for (const client of clients) client.destroy();
  await cluster?.stop();
});

function sourceOf(client: NotebookClient, index = 0): string {
  return client.notebook.getCell(index).getSource();
}

test('editors on three replicas converge, and the owner saves what they all see', async () => {
  cluster.writeNotebook('together.ipynb', [{ id: 'c1', source: 'x = 1' }]);
  const [a, b, c] = await Promise.all(cluster.replicas.map((replica) => connectNotebook(replica, 'together.ipynb')));
  clients.push(a, b, c);
  expect(new Set([a.sessionId, b.sessionId, c.sessionId]).size).toBe(1);

  a.notebook.getCell(0).updateSource(0, 0, 'A');
  b.notebook.getCell(0).updateSource(0, 0, 'B');
  c.notebook.getCell(0).updateSource(0, 0, 'C');
  c.notebook.addCell({ cell_type: 'markdown', source: 'from C' });
  const converged = await eventually(() => {
    const sources = [a, b, c].map((client) => client.notebook.cells.map((cell) => cell.getSource()).join('|'));
    expect(new Set(sources).size).toBe(1);
    expect(sources[0]).toContain('from C');
    return sources[0];
  });
  for (const letter of ['A', 'B', 'C']) expect(converged.split('|')[0]).toContain(letter);

  const onDisk = await eventually(() => {
    const saved = JSON.parse(readFileSync(join(cluster.root, 'together.ipynb'), 'utf8'));
    const joined = saved.cells.map((cell: { source: string | string[] }) => (Array.isArray(cell.source) ? cell.source.join('') : cell.source)).join('|');
    expect(joined).toBe(converged);
    return joined;
  });
  expect(onDisk).toBe(converged);
});

test('a viewer on replica C sees the output of a run asked on replica A and run by owner B', async () => {
  const [replicaA, replicaB, replicaC] = cluster.replicas;
  cluster.writeNotebook('run.ipynb', [{ id: 'r1', source: 'import os\nprint("ran in", os.getpid())' }]);
  // The first replica to open a notebook owns it.
  const onB = await connectNotebook(replicaB, 'run.ipynb');
  clients.push(onB);
  const share = await (await replicaA.api('POST', '/api/shares', { path: 'run.ipynb', role: 'viewer' })).json();
  const viewer = await connectNotebook(replicaC, 'run.ipynb', { token: share.token });
  clients.push(viewer);

  const [run] = await execute(replicaA, onB.fileId, ['r1']);
  const record = await waitForRun(viewer, run.id);
  expect(record.status).toBe('ok');
  const text = await eventually(() => {
    const [output] = outputsOf(viewer, 'r1');
    expect(output?.text).toMatch(/ran in \d+/);
    return String(output.text);
  });
  // The kernel is a child of the owner, B: not of A, which took the request, nor of C.
  const kernelPid = Number(/ran in (\d+)/.exec(text)![1]);
  const parentOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
  const ancestors: number[] = [];
  for (let pid = kernelPid; pid > 1 && ancestors.length < 10; pid = parentOf(pid)) ancestors.push(pid);
  expect(ancestors).toContain(replicaB.process.pid);
  expect(ancestors).not.toContain(replicaA.process.pid);
  expect(ancestors).not.toContain(replicaC.process.pid);

  // The viewer's role holds on its replica too: it cannot run cells through it.
  const refused = await replicaC.api('POST', `/api/notebooks/${onB.fileId}/execute`, { cellIds: ['r1'] }, share.token);
  expect(refused.status).toBe(403);
});

test('named cursors cross replicas', async () => {
  const [replicaA, , replicaC] = cluster.replicas;
  cluster.writeNotebook('cursors.ipynb', [{ id: 'k1', source: 'y = 2' }]);
  const onA = await connectNotebook(replicaA, 'cursors.ipynb');
  const onC = await connectNotebook(replicaC, 'cursors.ipynb');
  clients.push(onA, onC);
  onA.provider.awareness.setLocalStateField('cursor', { cell: 'k1', offset: 3 });
  const seen = await eventually(() => {
    const state = onC.provider.awareness.getStates().get(onA.provider.awareness.clientID) as { cursor?: unknown; user?: { name?: string } } | undefined;
    expect(state?.cursor).toEqual({ cell: 'k1', offset: 3 });
    return state!;
  });
  // The name is the one replica A's server gave, not one the client claimed.
  expect(typeof seen.user?.name).toBe('string');

  // Leaving removes the cursor on the other replica too.
  onA.provider.disconnect();
  await eventually(() => expect(onC.provider.awareness.getStates().has(onA.provider.awareness.clientID)).toBe(false));
  expect(sourceOf(onC)).toBe('y = 2');
});

test('hostile frames on one replica close only their own sockets; the other replicas and the notebook are untouched', async () => {
  const [replicaA, replicaB, replicaC] = cluster.replicas;
  cluster.writeNotebook('hostile.ipynb', [{ id: 'h1', source: 'z = 3' }]);
  // Owned by B; A relays it.
  const onB = await connectNotebook(replicaB, 'hostile.ipynb');
  const onC = await connectNotebook(replicaC, 'hostile.ipynb');
  const onA = await connectNotebook(replicaA, 'hostile.ipynb');
  clients.push(onB, onC, onA);

  for (let i = 0; i < 10; i++) {
    const raw = await openRaw(roomUrl(replicaA, onA.fileId, onA.sessionId));
    raw.send(randomBytes(1 + Math.floor(Math.random() * 200)));
    raw.send(Uint8Array.from([0, 2, 5, 255, 255, 255, 255, 255]));
    expect((await raw.closed).code).toBe(1002);
  }
  // An editor's write to what only the server writes (outputs) is refused on the relaying replica.
  const raw = await openRaw(roomUrl(replicaA, onA.fileId, onA.sessionId));
  const forged = new Y.Doc();
  Y.applyUpdate(forged, Y.encodeStateAsUpdate(onA.doc));
  const cell = forged.getArray<Y.Map<unknown>>('cells').get(0);
  forged.transact(() => (cell.get('outputs') as Y.Array<unknown>).push([new Y.Map(Object.entries({ output_type: 'stream', name: 'stdout', text: 'forged' }))]));
  raw.send(syncMessage(2, Y.encodeStateAsUpdate(forged, Y.encodeStateVector(onA.doc))));
  await eventually(() => expect(raw.frames.some((frame) => frame[0] === 2)).toBe(true));
  raw.close();

  onC.notebook.getCell(0).updateSource(0, 0, '# still fine\n');
  for (const client of [onA, onB, onC]) {
    await eventually(() => expect(client.notebook.getCell(0).getSource()).toBe('# still fine\nz = 3'));
    expect(outputsOf(client, 'h1')).toEqual([]);
  }
  await eventually(() => {
    const saved = JSON.parse(readFileSync(join(cluster.root, 'hostile.ipynb'), 'utf8'));
    expect(saved.cells[0].outputs).toEqual([]);
    expect(saved.cells[0].source.join('')).toBe('# still fine\nz = 3');
  });
});

test('viewers on different replicas are all counted', async () => {
  const [replicaA, replicaB, replicaC] = cluster.replicas;
  cluster.writeNotebook('audience.ipynb', [{ id: 'v1', source: 'print("hello")' }]);
  const presenter = await connectNotebook(replicaB, 'audience.ipynb');
  clients.push(presenter);
  const share = await (await replicaB.api('POST', '/api/shares', { path: 'audience.ipynb', role: 'viewer' })).json();
  const audience = await Promise.all([replicaA, replicaC, replicaC].map((replica) => connectNotebook(replica, 'audience.ipynb', { token: share.token })));
  clients.push(...audience);
  const counted = () =>
    [...presenter.provider.awareness.getStates().values()].reduce((sum, state) => sum + ((state as { room?: { viewers?: number } }).room?.viewers ?? 0), 0);
  await eventually(() => expect(counted()).toBe(3));
  audience[0].provider.disconnect();
  await eventually(() => expect(counted()).toBe(2));
});

test('a folder renamed through one replica moves the notebook another owns: the owner saves at the new path, and every client is told', async () => {
  const [replicaA, replicaB, replicaC] = cluster.replicas;
  mkdirSync(join(cluster.root, 'project'));
  cluster.writeNotebook('project/moved.ipynb', [{ id: 'm1', source: 'm = 1' }]);
  const onB = await connectNotebook(replicaB, 'project/moved.ipynb');
  const onC = await connectNotebook(replicaC, 'project/moved.ipynb');
  clients.push(onB, onC);
  const renamed = await replicaA.api('PATCH', '/api/contents/project', { path: 'archive' });
  expect(renamed.status).toBe(200);
  await eventually(() => expect(onC.doc.getMap('state').get('path')).toBe('archive/moved.ipynb'), 15_000);
  onC.notebook.getCell(0).updateSource(0, 0, '# after the move\n');
  await eventually(() => {
    const saved = JSON.parse(readFileSync(join(cluster.root, 'archive', 'moved.ipynb'), 'utf8'));
    expect(saved.cells[0].source.join('')).toBe('# after the move\nm = 1');
  }, 15_000);
});
