// A bare WebSocket speaking y-protocols by hand, for the cases a well-behaved provider
// would never produce: writes from viewers, malformed and hostile frames.

import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import type { TandemProcess } from './tandem';

export interface RawSocket {
  socket: WebSocket;
  frames: Uint8Array[];
  closed: Promise<{ code: number; reason: string }>;
  send(data: Uint8Array | Buffer): void;
  /** Frames of one y-protocols kind: 0 sync, 1 awareness, 2 auth. */
  framesOf(kind: number): Uint8Array[];
  close(): void;
}

export function roomUrl(server: TandemProcess, fileId: string, sessionId: string, token: string | null = server.token): string {
  const query = new URLSearchParams({ sessionId, ...(token ? { token } : {}) });
  return `${server.wsBase}/api/collaboration/room/json:notebook:${fileId}?${query}`;
}

export function openRaw(url: string, headers: Record<string, string> = {}): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const frames: Uint8Array[] = [];
    const closed = new Promise<{ code: number; reason: string }>((resolveClose) => {
      socket.on('close', (code, reason) => resolveClose({ code, reason: reason.toString() }));
    });
    socket.on('message', (data: Buffer) => frames.push(new Uint8Array(data)));
    socket.on('open', () =>
      resolve({
        socket,
        frames,
        closed,
        send: (data) => socket.send(data),
        framesOf: (kind) => frames.filter((f) => f[0] === kind),
        close: () => socket.close(),
      }),
    );
    socket.on('unexpected-response', (_request, response) => reject(new Error(`upgrade refused: ${response.statusCode}`)));
    socket.on('error', reject);
  });
}

export function syncStep1(doc = new Y.Doc()): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 0);
  encoding.writeVarUint(encoder, 0);
  encoding.writeVarUint8Array(encoder, Y.encodeStateVector(doc));
  return encoding.toUint8Array(encoder);
}

export function syncMessage(step: 1 | 2, update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 0);
  encoding.writeVarUint(encoder, step);
  encoding.writeVarUint8Array(encoder, update);
  return encoding.toUint8Array(encoder);
}

/** The reason of a y-protocols permission-denied message, or undefined. */
export function permissionDeniedReason(frame: Uint8Array): string | undefined {
  const decoder = decoding.createDecoder(frame);
  if (decoding.readVarUint(decoder) !== 2 || decoding.readVarUint(decoder) !== 0) return undefined;
  return decoding.readVarString(decoder);
}

/** Applies every sync frame the server sent to a fresh document. */
export function docFromFrames(frames: Uint8Array[]): Y.Doc {
  const doc = new Y.Doc();
  for (const frame of frames) {
    const decoder = decoding.createDecoder(frame);
    if (decoding.readVarUint(decoder) !== 0) continue;
    const step = decoding.readVarUint(decoder);
    if (step === 1 || step === 2) Y.applyUpdate(doc, decoding.readVarUint8Array(decoder));
  }
  return doc;
}
