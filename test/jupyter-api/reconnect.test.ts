// A client whose socket drops mid-run and comes back with the same session_id gets the rest of
// the run's messages, as Jupyter Server's message buffering gives (JupyterLab reconnects so
// after a network blip). Another session_id, or another user, gets none of them.

import { afterAll, beforeAll, expect, test } from 'vitest';
import { answering, idleAfter, openChannels } from '../helpers/jupyter';
import { startTandem, type TandemProcess } from '../helpers/tandem';

let server: TandemProcess;
let kernelId: string;

beforeAll(async () => {
  server = await startTandem();
  kernelId = (await (await server.api('POST', '/api/kernels', { name: 'python3' })).json()).id;
});
afterAll(async () => {
  await server?.stop();
});

test('reconnecting with the same session_id delivers what was missed, reply included', async () => {
  const sessionId = crypto.randomUUID();
  const first = await openChannels(server, kernelId, { sessionId });
  const observer = await openChannels(server, kernelId);
  const request = first.send('shell', 'execute_request', {
    code: 'import time\nfor i in range(4):\n    print(i, flush=True)\n    time.sleep(0.3)',
    silent: false,
    store_history: true,
    user_expressions: {},
    allow_stdin: false,
    stop_on_error: true,
  });
  await first.next((m) => m.header.msg_type === 'stream' && answering(request)(m));
  first.close();
  // The run goes on while nobody with that session_id is connected.
  await observer.next(idleAfter(request));
  const stranger = await openChannels(server, kernelId);
  const back = await openChannels(server, kernelId, { sessionId });
  try {
    await back.next(idleAfter(request));
    expect((await back.next(answering(request, 'execute_reply'))).content).toMatchObject({ status: 'ok' });
    const before = first.received.filter((m) => m.header.msg_type === 'stream').map((m) => (m.content as { text: string }).text);
    const after = back.received.filter((m) => m.header.msg_type === 'stream' && answering(request)(m)).map((m) => (m.content as { text: string }).text);
    expect([...before, ...after].join('')).toBe('0\n1\n2\n3\n');
    expect(stranger.received.some((m) => answering(request)(m))).toBe(false);
  } finally {
    back.close();
    stranger.close();
    observer.close();
  }
});
