// y-protocols frames, built and classified as plain bytes. The load clients use these instead
// of y-websocket's provider so that a thousand of them cost little CPU in the load process; the
// provider check (suites/conformance.ts) proves they speak the same protocol.

import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

export const MSG_SYNC = 0;
export const MSG_AWARENESS = 1;
export const MSG_AUTH = 2;
export const SYNC_STEP1 = 0;
export const SYNC_STEP2 = 1;
export const SYNC_UPDATE = 2;

/** An empty Yjs update (no structs, empty delete set): what a client with no state sends. */
export const EMPTY_UPDATE = new Uint8Array([0, 0]);
/** An empty state vector: "send me everything". */
export const EMPTY_STATE_VECTOR = new Uint8Array([0]);

function syncFrame(step: number, payload: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MSG_SYNC);
  encoding.writeVarUint(e, step);
  encoding.writeVarUint8Array(e, payload);
  return encoding.toUint8Array(e);
}

export const syncStep1 = (stateVector: Uint8Array): Uint8Array => syncFrame(SYNC_STEP1, stateVector);
export const syncStep2 = (update: Uint8Array): Uint8Array => syncFrame(SYNC_STEP2, update);
export const syncUpdate = (update: Uint8Array): Uint8Array => syncFrame(SYNC_UPDATE, update);

/** Awareness frame with one client's state, encoded as y-protocols' awareness does. */
export function awarenessFrame(clientId: number, clock: number, state: unknown): Uint8Array {
  const inner = encoding.createEncoder();
  encoding.writeVarUint(inner, 1);
  encoding.writeVarUint(inner, clientId);
  encoding.writeVarUint(inner, clock);
  encoding.writeVarString(inner, JSON.stringify(state));
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MSG_AWARENESS);
  encoding.writeVarUint8Array(e, encoding.toUint8Array(inner));
  return encoding.toUint8Array(e);
}

/** The states in an awareness update (the payload of an awareness frame); null states are removals. */
export function awarenessStates(payload: Uint8Array): Array<{ clientId: number; clock: number; state: unknown }> {
  const d = decoding.createDecoder(payload);
  const count = decoding.readVarUint(d);
  const states: Array<{ clientId: number; clock: number; state: unknown }> = [];
  for (let i = 0; i < count; i++) {
    const clientId = decoding.readVarUint(d);
    const clock = decoding.readVarUint(d);
    states.push({ clientId, clock, state: JSON.parse(decoding.readVarString(d)) });
  }
  return states;
}

export type FrameKind =
  | { kind: 'step1'; payload: Uint8Array }
  | { kind: 'step2'; payload: Uint8Array }
  | { kind: 'update'; payload: Uint8Array }
  | { kind: 'awareness'; payload: Uint8Array }
  | { kind: 'auth'; denied: boolean; reason: string }
  | { kind: 'other'; type: number };

/** Reads the message type of a frame; throws on truncated input, like the servers would. */
export function classify(frame: Uint8Array): FrameKind {
  const d = decoding.createDecoder(frame);
  const type = decoding.readVarUint(d);
  if (type === MSG_SYNC) {
    const step = decoding.readVarUint(d);
    const payload = decoding.readVarUint8Array(d);
    if (step === SYNC_STEP1) return { kind: 'step1', payload };
    if (step === SYNC_STEP2) return { kind: 'step2', payload };
    if (step === SYNC_UPDATE) return { kind: 'update', payload };
    return { kind: 'other', type };
  }
  if (type === MSG_AWARENESS) return { kind: 'awareness', payload: decoding.readVarUint8Array(d) };
  if (type === MSG_AUTH) {
    // y-protocols auth: 0 = permission denied, followed by a reason string.
    const sub = decoding.hasContent(d) ? decoding.readVarUint(d) : -1;
    const reason = sub === 0 && decoding.hasContent(d) ? decoding.readVarString(d) : '';
    return { kind: 'auth', denied: sub === 0, reason };
  }
  return { kind: 'other', type };
}
