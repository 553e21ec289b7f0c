import { expect, test } from 'vitest';
import * as Y from 'yjs';
import {
  decodeAwarenessUpdate,
  decodeClientMessage,
  encodeAwarenessUpdate,
  encodePermissionDenied,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
  inspectUpdate,
  ProtocolError,
} from '../../server/protocol/messages';

test('sync messages are classified by step', () => {
  const doc = new Y.Doc();
  doc.getText('t').insert(0, 'hi');
  const update = Y.encodeStateAsUpdate(doc);
  expect(decodeClientMessage(encodeSyncStep1(Y.encodeStateVector(doc))).type).toBe('sync-step1');
  expect(decodeClientMessage(encodeSyncStep2(update))).toEqual({ type: 'sync-step2', update });
  expect(decodeClientMessage(encodeSyncUpdate(update))).toEqual({ type: 'sync-update', update });
  expect(decodeClientMessage(Uint8Array.from([3])).type).toBe('query-awareness');
});

test('malformed frames are refused with a protocol error', () => {
  for (const frame of [[], [9], [0, 7, 0], [0, 0, 5, 1], [0, 2, 1, 0, 99], [1, 200], [3, 0]]) {
    expect(() => decodeClientMessage(Uint8Array.from(frame))).toThrow(ProtocolError);
  }
});

test('an update is inspected without applying it, and emptiness is recognised', () => {
  expect(inspectUpdate(Uint8Array.from([0, 0])).empty).toBe(true);
  const doc = new Y.Doc();
  expect(inspectUpdate(Y.encodeStateAsUpdate(doc)).empty).toBe(true);
  doc.getArray('cells').push(['x']);
  expect(inspectUpdate(Y.encodeStateAsUpdate(doc)).empty).toBe(false);
  expect(() => inspectUpdate(Uint8Array.from([5, 1, 2, 3]))).toThrow(ProtocolError);
});

test('awareness updates round-trip, and non-object states are refused', () => {
  const entries = [
    { clientID: 7, clock: 3, state: { user: { name: 'a' } } },
    { clientID: 9, clock: 1, state: null },
  ];
  expect(decodeAwarenessUpdate(encodeAwarenessUpdate(entries))).toEqual(entries);
  const bad = encodeAwarenessUpdate([{ clientID: 1, clock: 1, state: null }]);
  bad[bad.length - 1] = '5'.charCodeAt(0); // the state "null" becomes "nul5"
  expect(() => decodeAwarenessUpdate(bad)).toThrow(ProtocolError);
});

test('permission denied is y-protocols auth message 2/0 with a reason', () => {
  const frame = encodePermissionDenied('read-only');
  expect([...frame.slice(0, 2)]).toEqual([2, 0]);
  expect(new TextDecoder().decode(frame.slice(3))).toBe('read-only');
});
