// Jupyter messages to and from the frames of a kernel channels WebSocket, in both formats that
// Jupyter Server speaks. Without a subprotocol, a message is a JSON text frame, or, when it has
// buffers, a binary frame: a big-endian uint32 count, uint32 offsets, the JSON, then the
// buffers. With `v1.kernel.websocket.jupyter.org`, every message is a binary frame: a
// little-endian uint64 count, uint64 offsets, then channel, header, parent_header, metadata,
// content and buffers. Decoding never throws: a bad frame comes back as a reason.

import type { Channel, JupyterMessage, MessageHeader } from './message';
import { isMessageHeader } from './validate';

export const KERNEL_WS_PROTOCOL_V1 = 'v1.kernel.websocket.jupyter.org';

/** The subprotocol a channels socket speaks: '' for JSON (with legacy binary for buffers). */
export type ChannelProtocol = '' | typeof KERNEL_WS_PROTOCOL_V1;

export interface ChannelMessage extends JupyterMessage {
  channel: Channel;
}

export interface ChannelFrame {
  data: Buffer | string;
  binary: boolean;
}

export type DecodeResult = { ok: true; message: ChannelMessage } | { ok: false; reason: string };

const CHANNELS: readonly Channel[] = ['shell', 'iopub', 'stdin', 'control'];

export function encodeChannelFrame(message: ChannelMessage, protocol: ChannelProtocol): ChannelFrame {
  if (protocol === KERNEL_WS_PROTOCOL_V1) return { data: encodeV1(message), binary: true };
  const { buffers, ...rest } = message;
  if (buffers.length === 0) return { data: JSON.stringify({ ...rest, buffers: [] }), binary: false };
  const chunks = [Buffer.from(JSON.stringify(rest), 'utf8'), ...buffers];
  const head = Buffer.alloc(4 * (chunks.length + 1));
  head.writeUInt32BE(chunks.length, 0);
  let offset = head.length;
  chunks.forEach((chunk, i) => {
    head.writeUInt32BE(offset, 4 * (i + 1));
    offset += chunk.length;
  });
  return { data: Buffer.concat([head, ...chunks]), binary: true };
}

export function decodeChannelFrame(data: Buffer, binary: boolean, protocol: ChannelProtocol): DecodeResult {
  try {
    if (protocol === KERNEL_WS_PROTOCOL_V1) {
      if (!binary) return { ok: false, reason: 'the v1 protocol sends binary frames only' };
      return decodeV1(data);
    }
    if (!binary) return checked(JSON.parse(data.toString('utf8')) as unknown, []);
    return decodeLegacyBinary(data);
  } catch (error) {
    return { ok: false, reason: `malformed frame: ${(error as Error).message}` };
  }
}

function encodeV1(message: ChannelMessage): Buffer {
  const parts = [
    Buffer.from(message.channel, 'utf8'),
    ...[message.header, message.parent_header, message.metadata, message.content].map((part) => Buffer.from(JSON.stringify(part), 'utf8')),
    ...message.buffers,
  ];
  // One offset for the start of each part, and one for the end of the last.
  const count = parts.length + 1;
  const head = Buffer.alloc(8 * (count + 1));
  head.writeBigUInt64LE(BigInt(count), 0);
  let offset = head.length;
  head.writeBigUInt64LE(BigInt(offset), 8);
  parts.forEach((part, i) => {
    offset += part.length;
    head.writeBigUInt64LE(BigInt(offset), 8 * (i + 2));
  });
  return Buffer.concat([head, ...parts]);
}

function decodeV1(data: Buffer): DecodeResult {
  const count = Number(data.readBigUInt64LE(0));
  if (count < 6 || 8 * (count + 1) > data.length) return { ok: false, reason: 'bad offset table' };
  const offsets: number[] = [];
  for (let i = 0; i < count; i++) offsets.push(Number(data.readBigUInt64LE(8 * (i + 1))));
  if (!ascendingWithin(offsets, data.length)) return { ok: false, reason: 'offsets out of order or past the end' };
  const part = (i: number): Buffer => data.subarray(offsets[i], offsets[i + 1]);
  const json = (i: number): unknown => JSON.parse(part(i).toString('utf8'));
  const buffers: Buffer[] = [];
  for (let i = 5; i < offsets.length - 1; i++) buffers.push(Buffer.from(part(i)));
  return checked({ channel: part(0).toString('utf8'), header: json(1), parent_header: json(2), metadata: json(3), content: json(4) }, buffers);
}

function decodeLegacyBinary(data: Buffer): DecodeResult {
  const count = data.readUInt32BE(0);
  if (count < 1 || 4 * (count + 1) > data.length) return { ok: false, reason: 'bad offset table' };
  const offsets: number[] = [];
  for (let i = 1; i <= count; i++) offsets.push(data.readUInt32BE(4 * i));
  offsets.push(data.length);
  if (!ascendingWithin(offsets, data.length)) return { ok: false, reason: 'offsets out of order or past the end' };
  const chunk = (i: number): Buffer => data.subarray(offsets[i], offsets[i + 1]);
  const buffers: Buffer[] = [];
  for (let i = 1; i < count; i++) buffers.push(Buffer.from(chunk(i)));
  return checked(JSON.parse(chunk(0).toString('utf8')) as unknown, buffers);
}

function ascendingWithin(offsets: number[], length: number): boolean {
  return offsets.every((offset, i) => offset <= length && (i === 0 || offset >= offsets[i - 1]));
}

/** Checks the shape of a decoded message; the header gets its protocol defaults. */
function checked(value: unknown, buffers: Buffer[]): DecodeResult {
  if (!isObject(value)) return { ok: false, reason: 'the message is not an object' };
  const { channel, header, parent_header: parent = {}, metadata = {}, content = {} } = value;
  if (typeof channel !== 'string' || !CHANNELS.includes(channel as Channel)) return { ok: false, reason: 'unknown channel' };
  if (!isMessageHeader(header)) return { ok: false, reason: 'header is not a valid Jupyter header' };
  if (!isObject(parent) || !isObject(metadata) || !isObject(content)) {
    return { ok: false, reason: 'parent_header, metadata and content must be objects' };
  }
  return {
    ok: true,
    message: {
      channel: channel as Channel,
      header,
      parent_header: parent as MessageHeader | Record<string, never>,
      metadata,
      content,
      buffers,
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
