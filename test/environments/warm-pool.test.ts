// The warm pool: kernels of the default environment started ahead of time. A new notebook's
// first run takes one instead of waiting for Python to start; the kernel is made the notebook's
// own (working directory, import path, environment) and the pool refills behind it. The test
// checks where the kernel came from, never how long it took.

import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { execute, executionCountOf, outputsOf, waitForRun } from '../helpers/execution';
import { startTandem, type TandemProcess, tempRoot } from '../helpers/tandem';
import { kernelOf, putNotebook, stdoutOf } from './support';
import { buildWheel } from './wheels';

let server: TandemProcess;
const clients: NotebookClient[] = [];

interface PoolStatus {
  size: number;
  ready: number;
  environmentId: string | undefined;
}

async function pool(): Promise<PoolStatus> {
  const response = await server.api('GET', '/api/environments');
  expect(response.status).toBe(200);
  return (await response.json()).pool as PoolStatus;
}

async function open(path: string): Promise<NotebookClient> {
  const client = await connectNotebook(server, path);
  clients.push(client);
  return client;
}

beforeAll(async () => {
  const root = tempRoot();
  buildWheel(join(root, 'wheels'), 'own-pkg', '1.0.0');
  server = await startTandem({ root, args: ['--warm-pool', '1', '--env-installer', 'pip'] });
  // The pool builds the default environment, then starts its kernel.
  await eventually(async () => expect((await pool()).ready).toBe(1), 180_000, 250);
});
afterAll(async () => {
  for (const client of clients) client.destroy();
  await server.stop();
});

test("a new notebook's first run takes a kernel from the warm pool, made the notebook's own", async () => {
  await server.api('PUT', '/api/contents/project', { type: 'directory' });
  await server.api('PUT', '/api/contents/project/helpers.py', { type: 'file', format: 'text', content: 'ANSWER = 42\n' });
  await putNotebook(server, 'project/first.ipynb', [
    { id: 'where', source: 'import os, helpers\nprint(os.getcwd())\nprint(helpers.ANSWER)\nprint(os.environ["PYTHONPATH"] != "")' },
  ]);
  const client = await open('project/first.ipynb');
  const poolEnvironment = (await pool()).environmentId;

  const [run] = await execute(server, client.fileId, ['where']);
  expect((await waitForRun(client, run.id, undefined, 60_000)).status).toBe('ok');
  expect(kernelOf(client)).toMatchObject({ pooled: true, environment: poolEnvironment });
  expect(stdoutOf(outputsOf(client, 'where'))).toBe(`${join(server.root, 'project')}\n42\nTrue\n`);
  // Making it the notebook's own ran silently: the first cell is still In [1].
  expect(executionCountOf(client, 'where')).toBe(1);
});

test('the pool refills in the background after a kernel is taken', async () => {
  await eventually(async () => expect(await pool()).toMatchObject({ size: 1, ready: 1 }), 120_000, 250);
  await putNotebook(server, 'second.ipynb', [{ id: 'a', source: 'print("second")' }]);
  const client = await open('second.ipynb');
  const [run] = await execute(server, client.fileId, ['a']);
  expect((await waitForRun(client, run.id, undefined, 60_000)).status).toBe('ok');
  expect(kernelOf(client).pooled).toBe(true);
});

test("a notebook with its own environment does not take the default environment's pooled kernel", async () => {
  await eventually(async () => expect((await pool()).ready).toBe(1), 120_000, 250);
  await putNotebook(server, 'own.ipynb', [{ id: 'a', source: 'import own_pkg\nprint(own_pkg.__version__)' }], {
    requirements: ['own-pkg==1.0.0', '--find-links ./wheels', '--no-index'],
  });
  const client = await open('own.ipynb');
  const [run] = await execute(server, client.fileId, ['a']);
  expect((await waitForRun(client, run.id, undefined, 180_000)).status).toBe('ok');
  expect(stdoutOf(outputsOf(client, 'a'))).toBe('1.0.0\n');
  expect(kernelOf(client).pooled).toBe(false);
  expect(kernelOf(client).environment).not.toBe((await pool()).environmentId);
  expect((await pool()).ready).toBe(1);
});
