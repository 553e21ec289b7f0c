// @jupyterlab/services, as JupyterLab and VS Code use it, starting and driving a standalone
// kernel on Tandem through /api/kernels and the channels socket.

import { afterAll, beforeAll, expect, test } from 'vitest';
import { answering, idleAfter, type JupyterClients, jupyterClients, openChannels, run, stdout } from '../helpers/jupyter';
import { startTandem, type TandemProcess } from '../helpers/tandem';

let server: TandemProcess;
let clients: JupyterClients;

beforeAll(async () => {
  server = await startTandem();
  clients = jupyterClients(server);
});
afterAll(async () => {
  clients?.dispose();
  await server?.stop();
});

test('KernelManager.startNew starts a kernel that runs code with a stream, a result and an error', async () => {
  const kernel = await clients.kernels.startNew({ name: 'python3' });
  const listed = await (await server.api('GET', '/api/kernels')).json();
  expect(listed.map((k: { id: string }) => k.id)).toContain(kernel.id);

  const printed = await run(kernel, 'print("hello from tandem")');
  expect(printed.reply.content.status).toBe('ok');
  expect(stdout(printed)).toBe('hello from tandem\n');

  const result = await run(kernel, '6 * 7');
  const value = result.iopub.find((m) => m.header.msg_type === 'execute_result');
  expect(value?.content).toMatchObject({ data: { 'text/plain': '42' } });

  const failed = await run(kernel, '1 / 0');
  expect(failed.reply.content.status).toBe('error');
  const error = failed.iopub.find((m) => m.header.msg_type === 'error');
  expect(error?.content).toMatchObject({ ename: 'ZeroDivisionError' });
  await kernel.shutdown();
});

test('interrupt stops a running cell, restart clears the state, shutdown removes the kernel', async () => {
  const kernel = await clients.kernels.startNew({ name: 'python3' });
  await run(kernel, 'kept = 1');
  const future = kernel.requestExecute({ code: 'import time\nprint("sleeping", flush=True)\ntime.sleep(60)' });
  let started = false;
  future.onIOPub = (message) => {
    if (message.header.msg_type === 'stream') started = true;
  };
  await expect.poll(() => started, { timeout: 20_000 }).toBe(true);
  await kernel.interrupt();
  const reply = await future.done.catch((error: { content?: { status: string; ename?: string } }) => error);
  expect((reply as { content: { status: string; ename?: string } }).content.status).toBe('error');
  expect((reply as { content: { ename?: string } }).content.ename).toBe('KeyboardInterrupt');

  await kernel.restart();
  const after = await run(kernel, 'print("kept" in globals())');
  expect(stdout(after)).toBe('False\n');

  const id = kernel.id;
  await kernel.shutdown();
  expect((await server.api('GET', `/api/kernels/${id}`)).status).toBe(404);
});

test('a client that connects while a cell runs has its kernel_info done at once, and is told the kernel is busy', async () => {
  const kernel = await clients.kernels.startNew({ name: 'python3' });
  const future = kernel.requestExecute({ code: 'import time\nprint("sleeping", flush=True)\ntime.sleep(60)' });
  let started = false;
  future.onIOPub = (message) => {
    if (message.header.msg_type === 'stream') started = true;
  };
  await expect.poll(() => started, { timeout: 20_000 }).toBe(true);

  const late = clients.kernels.connectTo({ model: { id: kernel.id, name: kernel.name } });
  // The kernel_info a client sends on connecting is done only when its reply and its idle
  // status have both come; one left waiting is cancelled, as an unhandled rejection, by the
  // client's next restart.
  const info = await Promise.race([late.info, new Promise((resolve) => setTimeout(() => resolve('not done'), 20_000))]);
  expect(info).toMatchObject({ status: 'ok', implementation: 'ipython' });
  await expect.poll(() => late.status, { timeout: 10_000 }).toBe('busy');

  await kernel.interrupt();
  await future.done.catch(() => undefined);
  await late.restart();
  expect(stdout(await run(late, 'print("after")'))).toBe('after\n');
  late.dispose();
  await kernel.shutdown();
});

test("a session on a path Tandem does not have (VS Code's local notebook) gets a kernel of its own", async () => {
  const session = await clients.sessions.startNew({ path: 'Users/someone/local-only.ipynb', name: 'local-only.ipynb', type: 'notebook' });
  const kernel = session.kernel!;
  expect(stdout(await run(kernel, 'print("local")'))).toBe('local\n');
  const listed = await (await server.api('GET', '/api/sessions')).json();
  expect(listed.find((s: { id: string }) => s.id === session.id)?.kernel.id).toBe(kernel.id);
  await session.shutdown();
  // Nothing else used it, so it is gone with its session.
  expect((await server.api('GET', `/api/kernels/${kernel.id}`)).status).toBe(404);
});

test('a session can be renamed, and a run on a kernel that dies still gets its reply', async () => {
  const session = await clients.sessions.startNew({ path: 'scratch/console-1', name: 'console-1', type: 'console' });
  await session.setPath('scratch/console-2');
  await session.setName('renamed');
  const model = await (await server.api('GET', `/api/sessions/${session.id}`)).json();
  expect(model).toMatchObject({ path: 'scratch/console-2', name: 'renamed', type: 'console' });

  const channels = await openChannels(server, session.kernel!.id);
  try {
    const request = channels.send('shell', 'execute_request', {
      code: 'import os\nos._exit(1)',
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true,
    });
    // The kernel never answers; the client is not left waiting for ever.
    const reply = await channels.next(answering(request, 'execute_reply'));
    expect(reply.content).toMatchObject({ status: 'aborted' });
    await channels.next(idleAfter(request));
  } finally {
    channels.close();
  }
  await expect.poll(async () => (await (await server.api('GET', `/api/kernels/${session.kernel!.id}`)).json()).execution_state).toBe('dead');
  expect((await (await server.api('GET', `/api/kernels/${session.kernel!.id}`)).json()).reason).toMatch(/died/);
  const restarted = await server.api('POST', `/api/kernels/${session.kernel!.id}/restart`);
  expect((await restarted.json()).execution_state).toBe('idle');
  await session.shutdown();
});
