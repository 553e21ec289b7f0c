// Who may use which kernel through the Jupyter API: runners of a notebook use its kernel,
// viewers are refused (403), a share reaches no other kernel (404), only the owner starts
// standalone kernels, and input() is answered only by the socket whose run asked.

import { afterAll, beforeAll, expect, test } from 'vitest';
import { answering, idleAfter, openChannels } from '../helpers/jupyter';
import { makeNotebook } from '../helpers/notebooks';
import { startTandem, type TandemProcess } from '../helpers/tandem';

let server: TandemProcess;
let kernelA: string;
let kernelB: string;
let standalone: string;
let runnerA: string;
let viewerA: string;

const share = async (path: string, role: string) => (await (await server.api('POST', '/api/shares', { path, role })).json()).token as string;

beforeAll(async () => {
  server = await startTandem();
  for (const name of ['a.ipynb', 'b.ipynb']) {
    await server.api('PUT', `/api/contents/${name}`, { type: 'notebook', format: 'json', content: makeNotebook([{ id: 'c', source: '' }]) });
  }
  kernelA = (await (await server.api('POST', '/api/sessions', { path: 'a.ipynb', type: 'notebook', name: 'a.ipynb' })).json()).kernel.id;
  kernelB = (await (await server.api('POST', '/api/sessions', { path: 'b.ipynb', type: 'notebook', name: 'b.ipynb' })).json()).kernel.id;
  standalone = (await (await server.api('POST', '/api/kernels', { name: 'python3' })).json()).id;
  runnerA = await share('a.ipynb', 'runner');
  viewerA = await share('a.ipynb', 'viewer');
});
afterAll(async () => {
  await server?.stop();
});

test('a viewer may not start a session, use the kernel, or open its channels', async () => {
  expect((await server.api('POST', '/api/sessions', { path: 'a.ipynb', type: 'notebook', name: 'a.ipynb' }, viewerA)).status).toBe(403);
  expect((await server.api('GET', `/api/kernels/${kernelA}`, undefined, viewerA)).status).toBe(403);
  expect((await server.api('POST', `/api/kernels/${kernelA}/interrupt`, undefined, viewerA)).status).toBe(403);
  await expect(openChannels(server, kernelA, { token: viewerA })).rejects.toThrow('upgrade refused: 403');
});

test('a share for one notebook finds no other kernel', async () => {
  const listed = await (await server.api('GET', '/api/kernels', undefined, runnerA)).json();
  expect(listed.map((k: { id: string }) => k.id)).toEqual([kernelA]);
  for (const id of [kernelB, standalone]) {
    expect((await server.api('GET', `/api/kernels/${id}`, undefined, runnerA)).status).toBe(404);
    expect((await server.api('DELETE', `/api/kernels/${id}`, undefined, runnerA)).status).toBe(404);
    await expect(openChannels(server, id, { token: runnerA })).rejects.toThrow('upgrade refused: 404');
  }
  expect((await server.api('POST', '/api/sessions', { path: 'b.ipynb', type: 'notebook', name: 'b.ipynb' }, runnerA)).status).toBe(404);
  expect((await server.api('POST', '/api/kernels', { name: 'python3' }, runnerA)).status).toBe(403);
  const sessions = await (await server.api('GET', '/api/sessions', undefined, runnerA)).json();
  expect(sessions.map((s: { path: string }) => s.path)).toEqual(['a.ipynb']);
  // Its own notebook's kernel it may use.
  expect((await server.api('GET', `/api/kernels/${kernelA}`, undefined, runnerA)).status).toBe(200);
});

test("a forged stdin reply from another socket is ignored; the asker's answer is taken", async () => {
  const asker = await openChannels(server, kernelA, { token: runnerA });
  const forger = await openChannels(server, kernelA);
  try {
    const request = asker.send('shell', 'execute_request', {
      code: 'print("got", input("name? "))',
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: true,
      stop_on_error: true,
    });
    const prompt = await asker.next(answering(request, 'input_request'));
    expect(prompt.channel).toBe('stdin');
    expect(forger.received.some((m) => m.channel === 'stdin')).toBe(false);
    forger.send('stdin', 'input_reply', { value: 'forged' }, { parent: prompt.header as never });
    // The forger's answer must not end the prompt: the asker's does.
    const marker = forger.send('shell', 'kernel_info_request', {});
    await forger.next(answering(marker, 'kernel_info_reply'));
    asker.send('stdin', 'input_reply', { value: 'asker' }, { parent: prompt.header as never });
    await asker.next(idleAfter(request));
    const printed = asker.received.filter((m) => m.header.msg_type === 'stream' && answering(request)(m)).map((m) => (m.content as { text: string }).text);
    expect(printed.join('')).toBe('got asker\n');
  } finally {
    asker.close();
    forger.close();
  }
});
