// The `after` parameter of run requests: the requester's Yjs state vector, base64. The
// server waits until its document holds everything in it before reading sources, because
// keystrokes and the request travel on different connections.

import * as Y from 'yjs';
import { badRequest } from './errors';

export const AFTER_SCHEMA = { type: 'string', maxLength: 65_536 } as const;

export function parseAfter(after: string | undefined): Uint8Array | undefined {
  if (after === undefined) return undefined;
  const bytes = new Uint8Array(Buffer.from(after, 'base64'));
  try {
    Y.decodeStateVector(bytes);
  } catch {
    throw badRequest('after must be a base64 Yjs state vector');
  }
  return bytes;
}
