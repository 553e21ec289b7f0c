// With --runtime container each notebook's kernel runs in its own podman container, from its
// environment's image, labelled with the notebook and the server (issue 16).

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { putNotebook, stdoutOf } from '../environments/support';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { execute, outputsOf, waitForRun } from '../helpers/execution';
import { startTandem, type TandemProcess, tempRoot } from '../helpers/tandem';
import { containerArgs, containersLabelled, kernelWritableFolder, prepareContainerImages, serverIdOf } from './support';

let server: TandemProcess;
let clients: NotebookClient[] = [];

async function open(path: string): Promise<NotebookClient> {
  const client = await connectNotebook(server, path);
  clients.push(client);
  return client;
}

beforeAll(async () => {
  const base = prepareContainerImages();
  const root = tempRoot();
  kernelWritableFolder(root, 'a');
  server = await startTandem({ root, args: containerArgs(base) });
}, 15 * 60_000);
afterEach(() => {
  for (const client of clients) client.destroy();
  clients = [];
});
afterAll(async () => {
  await server?.stop();
});

test("a cell runs in a container labelled with its notebook and this server, as a non-root user in the notebook's folder", async () => {
  const source =
    'import os, pathlib\nopen("written.txt", "w").write("hi")\nprint(os.getuid(), os.getcwd(), pathlib.Path("/run/tandem/connection.json").exists())';
  await putNotebook(server, 'a/where.ipynb', [{ id: 'c', source }]);
  const client = await open('a/where.ipynb');
  const [run] = await execute(server, client.fileId, ['c']);
  const record = await waitForRun(client, run.id, undefined, 60_000);
  expect(record.status).toBe('ok');
  expect(stdoutOf(outputsOf(client, 'c')).trim()).toBe('1000 /home/tandem/work True');
  // What the kernel writes in its working directory lands in the notebook's folder.
  expect(readFileSync(join(server.root, 'a', 'written.txt'), 'utf8')).toBe('hi');

  const serverId = serverIdOf(server.stateDir);
  const ours = containersLabelled(`tandem.notebook=${client.fileId}`);
  expect(ours).toHaveLength(1);
  expect(containersLabelled(`tandem.server=${serverId}`)).toEqual(ours);
});

test('shutting the kernel down removes its container', async () => {
  await putNotebook(server, 'a/stop.ipynb', [{ id: 'c', source: 'print(1)' }]);
  const client = await open('a/stop.ipynb');
  const [run] = await execute(server, client.fileId, ['c']);
  await waitForRun(client, run.id, undefined, 60_000);
  expect(containersLabelled(`tandem.notebook=${client.fileId}`)).toHaveLength(1);
  const response = await server.api('POST', `/api/notebooks/${client.fileId}/shutdown`);
  expect(response.status).toBeLessThan(300);
  await eventually(() => expect(containersLabelled(`tandem.notebook=${client.fileId}`)).toEqual([]), 20_000);
});

test('an idle kernel is culled: its container is removed', async () => {
  const base = prepareContainerImages();
  const culling = await startTandem({ root: tempRoot(), args: [...containerArgs(base), '--cull-idle', '2'] });
  try {
    await putNotebook(culling, 'idle.ipynb', [{ id: 'c', source: 'print(1)' }]);
    const client = await connectNotebook(culling, 'idle.ipynb');
    clients.push(client);
    const [run] = await execute(culling, client.fileId, ['c']);
    expect((await waitForRun(client, run.id, undefined, 60_000)).status).toBe('ok');
    expect(containersLabelled(`tandem.notebook=${client.fileId}`)).toHaveLength(1);
    await eventually(() => expect(client.doc.getMap('kernel').get('status')).toBe('shutdown'), 30_000);
    await eventually(() => expect(containersLabelled(`tandem.notebook=${client.fileId}`)).toEqual([]), 20_000);
  } finally {
    await culling.stop();
  }
});

test('a container killed from outside is reported dead, and a restart brings the kernel back', async () => {
  await putNotebook(server, 'a/killed.ipynb', [{ id: 'c', source: 'print("alive")' }]);
  const client = await open('a/killed.ipynb');
  const [run] = await execute(server, client.fileId, ['c']);
  expect((await waitForRun(client, run.id, undefined, 60_000)).status).toBe('ok');
  const [container] = containersLabelled(`tandem.notebook=${client.fileId}`);
  execFileSync('podman', ['kill', container!], { stdio: 'ignore' });
  await eventually(() => expect(client.doc.getMap('kernel').get('status')).toBe('dead'), 10_000);
  expect((await server.api('POST', `/api/notebooks/${client.fileId}/restart`)).status).toBe(200);
  const [again] = await execute(server, client.fileId, ['c']);
  expect((await waitForRun(client, again.id, undefined, 60_000)).status).toBe('ok');
});

test('an editor opening a notebook whose image exists starts its container before anything runs', async () => {
  await putNotebook(server, 'a/opened.ipynb', [{ id: 'c', source: 'print("warm")' }]);
  const client = await open('a/opened.ipynb');
  await eventually(() => expect(containersLabelled(`tandem.notebook=${client.fileId}`)).toHaveLength(1), 20_000);
  await eventually(() => expect(client.doc.getMap('kernel').get('status')).toBe('idle'), 20_000);
  const [run] = await execute(server, client.fileId, ['c']);
  expect((await waitForRun(client, run.id, undefined, 60_000)).status).toBe('ok');
  expect(stdoutOf(outputsOf(client, 'c')).trim()).toBe('warm');
});
