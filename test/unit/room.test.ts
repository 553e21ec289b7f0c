// The room without any transport: connections are in-memory sinks (CONVENTIONS: sans-IO).
import { expect, test } from 'vitest';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { Role } from '../../common/doc-schema';
import { identityFromSeed } from '../../server/auth/identity';
import { decodeAwarenessUpdate, decodeClientMessage, encodeAwarenessMessage, encodeSyncStep1, encodeSyncUpdate } from '../../server/protocol/messages';
import { RoomConnection } from '../../server/rooms/connection';
import { AWARENESS_BATCH_MS, flushHeldChanges, Room } from '../../server/rooms/room';
import { SendBudget } from '../../server/transport/send-budget';

function makeRoom() {
  const doc = new Y.Doc();
  doc.getArray('cells').push([new Y.Map()]);
  const appended: Uint8Array[] = [];
  const silent = { info() {}, warn() {}, error() {} };
  const room = new Room({ fileId: 'f', doc, append: (u) => void appended.push(u), log: silent, onChange() {}, onEmpty() {}, onFailure() {} });
  return { room, doc, appended };
}

function connect(room: Room, role: Role) {
  const sent: Uint8Array[] = [];
  const connection = new RoomConnection(
    { send: (d) => sent.push(d), close() {}, terminate() {}, bufferedAmount: () => 0 },
    role,
    identityFromSeed(role),
    new SendBudget(1 << 24, 1 << 20).allowance(),
  );
  room.join(connection);
  return { connection, sent };
}

test('clients joining the same version of a document share one encoded state', () => {
  const { room } = makeRoom();
  const a = connect(room, 'editor');
  const b = connect(room, 'viewer');
  const empty = encodeSyncStep1(Y.encodeStateVector(new Y.Doc()));
  room.receive(a.connection, empty);
  room.receive(b.connection, empty);
  expect(a.sent.at(-1)).toBe(b.sent.at(-1));
  room.destroy();
});

test('every accepted change is appended to the log before any client is sent it', () => {
  const { room, appended } = makeRoom();
  const writer = connect(room, 'editor');
  const reader = connect(room, 'viewer');
  const order: string[] = [];
  const originalPush = appended.push.bind(appended);
  appended.push = (...items) => {
    order.push('append');
    return originalPush(...items);
  };
  const originalSend = reader.connection.sink.send;
  reader.connection.sink.send = (data) => {
    order.push('send');
    originalSend(data);
  };
  const client = new Y.Doc();
  client.getMap('state').set('dirty', true);
  room.receive(writer.connection, encodeSyncUpdate(Y.encodeStateAsUpdate(client)));
  expect(order).toEqual(['append', 'send']);
  room.destroy();
});

/** An editor's presence frame, as y-protocols clients send it. */
function cursorFrame(awareness: awarenessProtocol.Awareness, position: number): Uint8Array {
  awareness.setLocalState({ cursor: position });
  return encodeAwarenessMessage(awarenessProtocol.encodeAwarenessUpdate(awareness, [awareness.clientID]));
}

/** The client ids carried by the awareness frames a connection was sent. */
function awarenessFrames(sent: Uint8Array[]): number[][] {
  return sent.flatMap((frame) => {
    const message = decodeClientMessage(frame);
    return message.type === 'awareness' ? [decodeAwarenessUpdate(message.update).map((e) => e.clientID)] : [];
  });
}

test('presence changes are fanned out at once after a quiet spell, then together once per batch window', async () => {
  const { room } = makeRoom();
  const reader = connect(room, 'editor');
  const writers = Array.from({ length: 5 }, () => ({ ...connect(room, 'editor'), awareness: new awarenessProtocol.Awareness(new Y.Doc()) }));

  // What joining sent (the room's current presence) is not part of this.
  await new Promise((resolve) => setTimeout(resolve, AWARENESS_BATCH_MS * 3));
  const fanned = () => awarenessFrames(reader.sent.splice(0));
  fanned();

  room.receive(writers[0].connection, cursorFrame(writers[0].awareness, 1));
  expect(fanned()).toEqual([[writers[0].awareness.clientID]]);

  // Within the window: held, then sent as one frame naming every client that changed.
  for (const [i, w] of writers.entries()) room.receive(w.connection, cursorFrame(w.awareness, 10 + i));
  expect(fanned()).toEqual([]);
  await new Promise((resolve) => setTimeout(resolve, AWARENESS_BATCH_MS * 3));
  const frames = fanned();
  expect(frames).toHaveLength(1);
  expect(new Set(frames[0])).toEqual(new Set(writers.map((w) => w.awareness.clientID)));
  expect(room.awareness.getStates().get(writers[4].awareness.clientID)).toMatchObject({ cursor: 14 });
  room.destroy();
});

test('a client back on a new connection is shown again at once, and its later presence is not ignored', async () => {
  const { room } = makeRoom();
  const reader = connect(room, 'editor');
  const writer = new awarenessProtocol.Awareness(new Y.Doc());
  const first = connect(room, 'editor');
  room.receive(first.connection, cursorFrame(writer, 1));
  expect(room.awareness.getStates().get(writer.clientID)).toMatchObject({ cursor: 1 });

  // The socket drops; the room removes the client's presence, with a clock past the client's own.
  room.leave(first.connection);
  expect(room.awareness.getStates().has(writer.clientID)).toBe(false);

  // On its new connection the client sends the state it had (y-websocket resends it unchanged).
  const second = connect(room, 'editor');
  room.receive(second.connection, encodeAwarenessMessage(awarenessProtocol.encodeAwarenessUpdate(writer, [writer.clientID])));
  expect(room.awareness.getStates().get(writer.clientID)).toMatchObject({ cursor: 1 });
  room.receive(second.connection, cursorFrame(writer, 2));
  expect(room.awareness.getStates().get(writer.clientID)).toMatchObject({ cursor: 2 });
  // Everyone else is told: the last presence frame the reader got names the client at cursor 2.
  await new Promise((resolve) => setTimeout(resolve, AWARENESS_BATCH_MS * 3));
  expect(awarenessFrames(reader.sent).flat()).toContain(writer.clientID);
  room.destroy();
});

/** The updates carried by the sync frames a connection was sent. */
function syncUpdates(sent: Uint8Array[]): Uint8Array[] {
  return sent.flatMap((frame) => {
    const message = decodeClientMessage(frame);
    return message.type === 'sync-update' ? [message.update] : [];
  });
}

test("the server's changes in one turn of the event loop are stored and sent as one update when it ends", async () => {
  const { room, doc, appended } = makeRoom();
  const reader = connect(room, 'viewer');
  reader.sent.splice(0);
  const before = Y.encodeStateAsUpdate(doc);
  // A run starting: the kernel's status, then the run's record and its cell, as separate changes.
  room.transact(() => doc.getMap('kernel').set('status', 'busy'));
  room.transact(() => {
    doc.getMap('executions').set('run', { status: 'running' });
    (doc.getArray('cells').get(0) as Y.Map<unknown>).set('execution_state', 'running');
  });
  expect(appended).toHaveLength(0);
  expect(syncUpdates(reader.sent)).toHaveLength(0);

  await new Promise((resolve) => setImmediate(resolve));
  expect(appended).toHaveLength(1);
  const sent = syncUpdates(reader.sent);
  expect(sent).toHaveLength(1);
  expect(sent[0]).toEqual(appended[0]);
  // The one update holds both changes.
  const replayed = new Y.Doc();
  Y.applyUpdate(replayed, before);
  Y.applyUpdate(replayed, appended[0]);
  expect(replayed.getMap('kernel').get('status')).toBe('busy');
  expect(replayed.getMap('executions').get('run')).toEqual({ status: 'running' });
  room.destroy();
});

test("a client's change is stored after the server's changes held before it, in the order they were made", () => {
  const { room, doc, appended } = makeRoom();
  const writer = connect(room, 'editor');
  const before = Y.encodeStateAsUpdate(doc);
  const client = new Y.Doc();
  Y.applyUpdate(client, before);
  room.transact(() => doc.getMap('kernel').set('status', 'busy'));
  client.getMap('state').set('dirty', true);
  room.receive(writer.connection, encodeSyncUpdate(Y.encodeStateAsUpdate(client, Y.encodeStateVectorFromUpdate(before))));
  // Both stored at once, without waiting for the turn to end: the server's first.
  expect(appended).toHaveLength(2);
  const first = new Y.Doc();
  Y.applyUpdate(first, before);
  Y.applyUpdate(first, appended[0]);
  expect(first.getMap('kernel').get('status')).toBe('busy');
  expect(first.getMap('state').has('dirty')).toBe(false);
  room.destroy();
});

test('flush stores the held changes at once, as before any HTTP reply, and a destroyed room stores nothing more', async () => {
  const { room, doc, appended } = makeRoom();
  room.transact(() => doc.getMap('kernel').set('status', 'shutdown'));
  room.flush();
  expect(appended).toHaveLength(1);
  room.transact(() => doc.getMap('kernel').set('status', 'starting'));
  flushHeldChanges();
  expect(appended).toHaveLength(2);
  room.transact(() => doc.getMap('kernel').set('status', 'idle'));
  room.destroy();
  await new Promise((resolve) => setImmediate(resolve));
  expect(appended).toHaveLength(2);
});
