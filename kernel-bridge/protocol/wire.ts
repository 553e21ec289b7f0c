// Jupyter messages to and from ZeroMQ multipart frames:
//   [...identities, '<IDS|MSG>', signature, header, parent_header, metadata, content, ...buffers]
// Parsing never throws: a frame set that is malformed or wrongly signed comes back as a reason,
// so the socket loop can log it and carry on.

import type { JupyterMessage, MessageHeader } from './message';
import { signFrames, verifyFrames } from './signature';
import { isMessageHeader } from './validate';

export const DELIMITER = Buffer.from('<IDS|MSG>');

export function serializeMessage(message: JupyterMessage, key: Buffer, identities: readonly Buffer[] = []): Buffer[] {
  const parts = [message.header, message.parent_header, message.metadata, message.content].map((part) => Buffer.from(JSON.stringify(part), 'utf8'));
  return [...identities, DELIMITER, Buffer.from(signFrames(key, parts)), ...parts, ...message.buffers];
}

export type ParseResult = { ok: true; message: JupyterMessage; identities: Buffer[] } | { ok: false; reason: string };

export function parseMessage(frames: readonly Buffer[], key: Buffer): ParseResult {
  const at = frames.findIndex((frame) => frame.equals(DELIMITER));
  if (at < 0) return { ok: false, reason: 'no <IDS|MSG> delimiter' };
  if (frames.length < at + 6) return { ok: false, reason: `only ${frames.length - at - 1} frames after the delimiter, need 5` };

  const signature = frames[at + 1].toString('latin1');
  const parts = frames.slice(at + 2, at + 6);
  if (!verifyFrames(key, parts, signature)) {
    return { ok: false, reason: signature === '' ? 'unsigned message' : 'bad signature' };
  }

  const decoded: unknown[] = [];
  for (const [index, part] of parts.entries()) {
    try {
      decoded.push(JSON.parse(part.toString('utf8')));
    } catch {
      return { ok: false, reason: `${PART_NAMES[index]} is not JSON` };
    }
  }
  const [header, parentHeader, metadata, content] = decoded;
  if (!isMessageHeader(header)) return { ok: false, reason: 'header is not a valid Jupyter header' };
  if (!isPlainObject(parentHeader)) return { ok: false, reason: 'parent_header is not an object' };
  if (Object.keys(parentHeader).length > 0 && !isMessageHeader(parentHeader)) {
    return { ok: false, reason: 'parent_header is neither empty nor a valid header' };
  }
  if (!isPlainObject(metadata)) return { ok: false, reason: 'metadata is not an object' };
  if (!isPlainObject(content)) return { ok: false, reason: 'content is not an object' };

  return {
    ok: true,
    identities: frames.slice(0, at),
    message: {
      header,
      parent_header: parentHeader as MessageHeader | Record<string, never>,
      metadata,
      content,
      buffers: frames.slice(at + 6),
    },
  };
}

const PART_NAMES = ['header', 'parent_header', 'metadata', 'content'] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
