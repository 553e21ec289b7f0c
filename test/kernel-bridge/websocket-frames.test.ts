// The kernel channels WebSocket framing, checked against @jupyterlab/services' own serializer
// (the other end in JupyterLab and VS Code), and against garbage, which must never throw.

import type { KernelMessage } from '@jupyterlab/services';
import { deserialize, serialize } from '@jupyterlab/services/lib/kernel/serialize';
import { describe, expect, test } from 'vitest';
import { type ChannelMessage, decodeChannelFrame, encodeChannelFrame, KERNEL_WS_PROTOCOL_V1 } from '../../kernel-bridge';

const message: ChannelMessage = {
  channel: 'iopub',
  header: { msg_id: 'm1', msg_type: 'comm_msg', session: 's', username: 'u', date: '2026-01-01T00:00:00.000Z', version: '5.3' },
  parent_header: { msg_id: 'p1', msg_type: 'comm_open', session: 's', username: 'u', date: '2026-01-01T00:00:00.000Z', version: '5.3' },
  metadata: { note: 'é ünïcode' },
  content: { comm_id: 'c', data: { n: 1 } },
  buffers: [Buffer.from([0, 1, 2, 255]), Buffer.alloc(0), Buffer.from('tail')],
};

const toArrayBuffer = (data: Buffer) => data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;

describe.each([
  ['JSON / legacy binary', ''],
  ['v1.kernel.websocket.jupyter.org', KERNEL_WS_PROTOCOL_V1],
] as const)('%s', (_label, protocol) => {
  test('what we encode, @jupyterlab/services decodes, buffers included', () => {
    const frame = encodeChannelFrame(message, protocol);
    const decoded = deserialize(frame.binary ? toArrayBuffer(frame.data as Buffer) : (frame.data as unknown as ArrayBuffer), protocol);
    expect(decoded.header).toEqual(message.header);
    expect(decoded.metadata).toEqual(message.metadata);
    expect(decoded.content).toEqual(message.content);
    expect(decoded.buffers!.map((b) => Buffer.from((b as DataView).buffer))).toEqual(message.buffers);
  });

  test('what @jupyterlab/services encodes, we decode', () => {
    const { buffers, ...rest } = message;
    const sent = serialize({ ...rest, buffers: buffers.map(toArrayBuffer) } as unknown as KernelMessage.IMessage, protocol);
    const data = typeof sent === 'string' ? Buffer.from(sent) : Buffer.from(sent);
    const decoded = decodeChannelFrame(data, typeof sent !== 'string', protocol);
    expect(decoded.ok && decoded.message).toEqual(message);
  });

  test('garbage comes back as a reason, never an exception', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 2000; i++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(random() * 80) }, () => Math.floor(random() * 256)));
      const result = decodeChannelFrame(bytes, random() < 0.7, protocol);
      expect(result.ok).toBe(false);
    }
    expect(decodeChannelFrame(Buffer.from('{"channel":"shell","header":{}}'), false, '')).toMatchObject({ ok: false });
  });
});
