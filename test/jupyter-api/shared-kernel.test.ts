// A Jupyter session on a notebook's path lands on the notebook's one shared kernel: the one its
// room and Tandem's execution API use. State, queue and outputs are one.

import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectNotebook, type NotebookClient } from '../helpers/clients';
import { execute, kernelStatus, outputsOf, recordOf, waitForRun } from '../helpers/execution';
import { answering, idleAfter, type JupyterClients, jupyterClients, openChannels, run, stdout } from '../helpers/jupyter';
import { makeNotebook } from '../helpers/notebooks';
import { startTandem, type TandemProcess } from '../helpers/tandem';

let server: TandemProcess;
let clients: JupyterClients;
let watcher: NotebookClient;
let fileId: string;

beforeAll(async () => {
  server = await startTandem();
  const cells = [
    { id: 'set', source: 'shared_value = 41' },
    { id: 'read', source: 'print(from_jupyter)' },
    { id: 'target', source: '' },
  ];
  for (const name of ['shared.ipynb', 'lonely.ipynb']) {
    await server.api('PUT', `/api/contents/${name}`, { type: 'notebook', format: 'json', content: makeNotebook(cells) });
  }
  const viewer = (await (await server.api('POST', '/api/shares', { path: 'shared.ipynb', role: 'viewer' })).json()).token as string;
  watcher = await connectNotebook(server, 'shared.ipynb', { token: viewer });
  fileId = watcher.fileId;
  clients = jupyterClients(server);
});
afterAll(async () => {
  clients?.dispose();
  watcher?.destroy();
  await server?.stop();
});

test('two sessions on one notebook get the one kernel the room runs on', async () => {
  const first = await clients.sessions.startNew({ path: 'shared.ipynb', name: 'shared.ipynb', type: 'notebook' });
  const second = await clients.sessions.startNew({ path: 'shared.ipynb', name: 'shared.ipynb', type: 'notebook' });
  expect(first.kernel!.id).toBe(second.kernel!.id);
  expect(first.kernel!.id).toBe(fileId);
  // Starting a kernel with the notebook's path lands on the same one.
  const started = await server.api('POST', '/api/kernels', { name: 'python3', path: 'shared.ipynb' });
  expect(started.status).toBe(201);
  expect(started.headers.get('location')).toBe(`/api/kernels/${fileId}`);
  expect((await started.json()).id).toBe(fileId);
  await expect.poll(() => kernelStatus(watcher), { timeout: 20_000 }).toMatch(/idle|busy/);

  // Set by the room, seen by the session; and the reverse.
  const [setRun] = await execute(server, fileId, ['set']);
  await waitForRun(watcher, setRun.id);
  const seen = await run(first.kernel!, 'print(shared_value + 1)\nfrom_jupyter = "set through the Jupyter API"');
  expect(stdout(seen)).toBe('42\n');
  const [readRun] = await execute(server, fileId, ['read']);
  expect((await waitForRun(watcher, readRun.id)).status).toBe('ok');
  expect(outputsOf(watcher, 'read')).toEqual([{ output_type: 'stream', name: 'stdout', text: 'set through the Jupyter API\n' }]);

  // One session going leaves the kernel to the other.
  await first.shutdown();
  expect((await server.api('GET', `/api/kernels/${fileId}`)).status).toBe(200);
  // The room still uses it, so the last session going leaves it running too.
  await second.shutdown();
  expect((await (await server.api('GET', `/api/kernels/${fileId}`)).json()).execution_state).toMatch(/idle|busy/);
});

test('a run sent with metadata.cellId appears in the room with its author and outputs, once', async () => {
  const session = await clients.sessions.startNew({ path: 'shared.ipynb', name: 'shared.ipynb', type: 'notebook' });
  const kernel = session.kernel!;
  const result = await run(kernel, 'print("from JupyterLab")\n6 * 7', { cellId: 'target' });
  expect(result.reply.content.status).toBe('ok');
  expect(stdout(result)).toBe('from JupyterLab\n');
  const record = [...watcher.doc.getMap('executions').values()].find((r) => (r as { cellId: string }).cellId === 'target') as {
    id: string;
    via?: string;
    requestedBy: { username: string };
    source: string;
  };
  expect(record).toBeDefined();
  const finished = await waitForRun(watcher, record.id);
  expect(finished.status).toBe('ok');
  expect(record.via).toBe('jupyter');
  expect(record.source).toBe('print("from JupyterLab")\n6 * 7');
  const me = await (await server.api('GET', '/api/me')).json();
  expect(record.requestedBy.username).toBe(me.identity.username);
  expect(outputsOf(watcher, 'target')).toEqual([
    { output_type: 'stream', name: 'stdout', text: 'from JupyterLab\n' },
    { output_type: 'execute_result', execution_count: finished.executionCount, data: { 'text/plain': '42' }, metadata: {} },
  ]);
  // The requesting client got each output once too.
  expect(result.iopub.filter((m) => m.header.msg_type === 'stream')).toHaveLength(1);
  expect(result.iopub.filter((m) => m.header.msg_type === 'execute_result')).toHaveLength(1);
  expect(recordOf(watcher, record.id)?.status).toBe('ok');
});

test('interrupting from the room stops a run that came through the channels', async () => {
  const session = await clients.sessions.startNew({ path: 'shared.ipynb', name: 'shared.ipynb', type: 'notebook' });
  const kernel = session.kernel!;
  const future = kernel.requestExecute({ code: 'import time\nprint("sleeping", flush=True)\ntime.sleep(60)' }, true, { cellId: 'target' });
  let started = false;
  future.onIOPub = (message) => {
    if (message.header.msg_type === 'stream') started = true;
  };
  await expect.poll(() => started, { timeout: 20_000 }).toBe(true);
  expect((await server.api('POST', `/api/notebooks/${fileId}/interrupt`)).status).toBe(200);
  const reply = (await future.done.catch((error: unknown) => error)) as { content: { status: string; ename?: string } };
  expect(reply.content.status).toBe('error');
  expect(reply.content.ename).toBe('KeyboardInterrupt');
  const record = [...watcher.doc.getMap('executions').values()].filter((r) => (r as { cellId: string }).cellId === 'target').pop() as { id: string };
  expect((await waitForRun(watcher, record.id)).status).toBe('interrupted');
});

test("the room's runs show on the channels' iopub, and a restart through either API is the same restart", async () => {
  await clients.sessions.startNew({ path: 'shared.ipynb', name: 'shared.ipynb', type: 'notebook' });
  const channels = await openChannels(server, fileId);
  try {
    const [roomRun] = await execute(server, fileId, ['set']);
    await channels.next((m) => m.channel === 'iopub' && m.header.msg_type === 'execute_input' && (m.content as { code: string }).code === 'shared_value = 41');
    await waitForRun(watcher, roomRun.id);

    // Restarted through the Jupyter API: the room sees it, and the state is gone for both.
    const restarted = await server.api('POST', `/api/kernels/${fileId}/restart`);
    expect(restarted.status).toBe(200);
    expect((await restarted.json()).id).toBe(fileId);
    expect(kernelStatus(watcher)).toMatch(/idle|busy/);
    expect(watcher.doc.getMap('kernel').get('startedAt')).toBeGreaterThan(roomRun.queuedAt);
    const [readRun] = await execute(server, fileId, ['read']);
    expect((await waitForRun(watcher, readRun.id)).status).toBe('error');

    // Restarted from the room: the same kernel id answers, with fresh state, on a new socket.
    expect((await server.api('POST', `/api/notebooks/${fileId}/restart`)).status).toBe(200);
    await expect.poll(async () => (await (await server.api('GET', `/api/kernels/${fileId}`)).json()).execution_state, { timeout: 20_000 }).toBe('idle');
    const again = await openChannels(server, fileId);
    try {
      const probe = again.send('shell', 'execute_request', {
        code: 'print("shared_value" in globals())',
        silent: false,
        store_history: true,
        user_expressions: {},
        allow_stdin: false,
        stop_on_error: true,
      });
      await again.next(idleAfter(probe));
      const text = again.received.filter((m) => m.header.msg_type === 'stream' && answering(probe)(m)).map((m) => (m.content as { text: string }).text);
      expect(text.join('')).toBe('False\n');
    } finally {
      again.close();
    }
  } finally {
    channels.close();
  }
});

test('deleting the only session of a notebook nobody has open shuts its kernel down', async () => {
  const session = await clients.sessions.startNew({ path: 'lonely.ipynb', name: 'lonely.ipynb', type: 'notebook' });
  const id = session.kernel!.id;
  expect((await server.api('GET', `/api/kernels/${id}`)).status).toBe(200);
  await session.shutdown();
  expect((await server.api('GET', `/api/kernels/${id}`)).status).toBe(404);
});
