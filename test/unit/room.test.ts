// The room without any transport: connections are in-memory sinks (CONVENTIONS: sans-IO).
import { expect, test } from 'vitest';
import * as Y from 'yjs';
import type { Role } from '../../common/doc-schema';
import { identityFromSeed } from '../../server/auth/identity';
import { encodeSyncStep1, encodeSyncUpdate } from '../../server/protocol/messages';
import { RoomConnection } from '../../server/rooms/connection';
import { Room } from '../../server/rooms/room';

function makeRoom() {
  const doc = new Y.Doc();
  doc.getArray('cells').push([new Y.Map()]);
  const appended: Uint8Array[] = [];
  const silent = { info() {}, warn() {}, error() {} };
  const room = new Room({ fileId: 'f', doc, append: (u) => appended.push(u), log: silent, onChange() {}, onEmpty() {}, onFailure() {} });
  return { room, doc, appended };
}

function connect(room: Room, role: Role) {
  const sent: Uint8Array[] = [];
  const connection = new RoomConnection(
    { send: (d) => sent.push(d), close() {}, bufferedAmount: () => 0 },
    role,
    identityFromSeed(role),
    1 << 20,
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
  client.getText('t').insert(0, 'hello');
  room.receive(writer.connection, encodeSyncUpdate(Y.encodeStateAsUpdate(client)));
  expect(order).toEqual(['append', 'send']);
  room.destroy();
});
