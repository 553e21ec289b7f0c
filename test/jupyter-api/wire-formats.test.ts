// Both wire formats of the kernel channels socket, as @jupyterlab/services frames them: JSON
// text frames (binary frames only for messages with buffers) and the
// v1.kernel.websocket.jupyter.org binary subprotocol, with buffers in both directions.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { answering, idleAfter, openChannels } from '../helpers/jupyter';
import { startTandem, type TandemProcess } from '../helpers/tandem';

let server: TandemProcess;
let kernelId: string;

// A comm target that answers each message with its first buffer reversed: an ipywidgets-free
// way to make the kernel send binary buffers, and to check ours arrive.
const ECHO_TARGET = `
def _echo(comm, open_msg):
    @comm.on_msg
    def _(msg):
        data = bytes(msg['buffers'][0])
        comm.send({'length': len(data)}, buffers=[data[::-1]])
get_ipython().kernel.comm_manager.register_target('echo', _echo)
`;

beforeAll(async () => {
  server = await startTandem();
  const response = await server.api('POST', '/api/kernels', { name: 'python3' });
  expect(response.status).toBe(201);
  kernelId = (await response.json()).id;
});
afterAll(async () => {
  await server?.stop();
});

describe.each([
  { label: 'JSON frames (no subprotocol)', protocol: undefined, selected: '' },
  { label: 'the v1.kernel.websocket.jupyter.org subprotocol', protocol: 'v1.kernel.websocket.jupyter.org', selected: 'v1.kernel.websocket.jupyter.org' },
])('$label', ({ protocol, selected }) => {
  test('kernel_info, an execute, and a comm with binary buffers both ways', async () => {
    const channels = await openChannels(server, kernelId, { protocol });
    try {
      expect(channels.protocol).toBe(selected);
      const info = channels.send('shell', 'kernel_info_request', {});
      const reply = await channels.next(answering(info, 'kernel_info_reply'));
      expect(reply.channel).toBe('shell');
      expect((reply.content as { language_info: { name: string } }).language_info.name).toBe('python');
      // Without a subprotocol a message with no buffers is a text frame.
      expect(channels.received.find((m) => m.header.msg_id === reply.header.msg_id)!.binaryFrame).toBe(selected !== '');

      const setup = channels.send('shell', 'execute_request', {
        code: ECHO_TARGET,
        silent: false,
        store_history: false,
        user_expressions: {},
        allow_stdin: false,
        stop_on_error: true,
      });
      expect((await channels.next(answering(setup, 'execute_reply'))).content).toMatchObject({ status: 'ok' });

      const commId = crypto.randomUUID();
      channels.send('shell', 'comm_open', { comm_id: commId, target_name: 'echo', data: {} });
      const sent = Uint8Array.from({ length: 256 }, (_, i) => i);
      channels.send('shell', 'comm_msg', { comm_id: commId, data: {} }, { buffers: [sent.buffer] });
      const echoed = await channels.next(
        (m) => m.channel === 'iopub' && m.header.msg_type === 'comm_msg' && (m.content as { comm_id: string }).comm_id === commId,
      );
      expect((echoed.content as { data: { length: number } }).data.length).toBe(256);
      expect(echoed.buffers).toHaveLength(1);
      const bytes = new Uint8Array((echoed.buffers![0] as DataView).buffer);
      expect([...bytes]).toEqual([...sent].reverse());
    } finally {
      channels.close();
    }
  });
});

test('a frame that is not a Jupyter message is dropped and the socket keeps working', async () => {
  const channels = await openChannels(server, kernelId);
  try {
    channels.socket.send('{"not": "a message"');
    channels.socket.send(Buffer.from([0, 0, 0, 9, 1, 2]));
    const info = channels.send('shell', 'kernel_info_request', {});
    expect((await channels.next(answering(info, 'kernel_info_reply'))).channel).toBe('shell');
  } finally {
    channels.close();
  }
});

test('two sockets on one kernel each get their own replies and both see every iopub message', async () => {
  const [a, b] = await Promise.all([openChannels(server, kernelId), openChannels(server, kernelId, { protocol: 'v1.kernel.websocket.jupyter.org' })]);
  try {
    const request = a.send('shell', 'execute_request', {
      code: 'print("to everyone")',
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true,
    });
    await a.next(answering(request, 'execute_reply'));
    await a.next(idleAfter(request));
    const streamed = (m: { channel?: string; header: { msg_type: string } }) => m.channel === 'iopub' && m.header.msg_type === 'stream';
    expect((await b.next((m) => streamed(m) && answering(request)(m))).content).toMatchObject({ text: 'to everyone\n' });
    // The reply went to the socket that asked, and only there.
    expect(b.received.some((m) => m.channel === 'shell' && answering(request)(m))).toBe(false);
    expect(a.received.filter((m) => streamed(m) && answering(request)(m))).toHaveLength(1);
  } finally {
    a.close();
    b.close();
  }
});
