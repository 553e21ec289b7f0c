// y-protocols messages as pure functions: decoding and classifying what a client sends,
// and encoding what the server sends. Nothing here touches a socket or a room, so read-only
// enforcement and hostile input can be tested (and fuzzed) directly.

import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { MAX_JSON_NESTING } from '../notebook/json-depth';
import type { DecodedUpdate } from './update-places';
import { jsonNestsDeeper, newTypeNesting } from './update-shape';

/** Nesting of new shared types an update may carry; a notebook needs four at most. */
export const MAX_TYPE_NESTING = 8;

export const MESSAGE_SYNC = 0;
export const MESSAGE_AWARENESS = 1;
export const MESSAGE_AUTH = 2;
export const MESSAGE_QUERY_AWARENESS = 3;

const SYNC_STEP1 = 0;
const SYNC_STEP2 = 1;
const SYNC_UPDATE = 2;
const AUTH_PERMISSION_DENIED = 0;

export type ClientMessage =
  | { type: 'sync-step1'; stateVector: Uint8Array }
  | { type: 'sync-step2'; update: Uint8Array }
  | { type: 'sync-update'; update: Uint8Array }
  | { type: 'awareness'; update: Uint8Array }
  | { type: 'query-awareness' };

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

function readPayload(decoder: decoding.Decoder): Uint8Array {
  const payload = decoding.readVarUint8Array(decoder);
  if (decoding.hasContent(decoder)) throw new ProtocolError('trailing bytes after the message');
  return payload;
}

/** Classifies one frame. Throws ProtocolError for anything malformed or unknown. */
export function decodeClientMessage(data: Uint8Array): ClientMessage {
  const decoder = decoding.createDecoder(data);
  try {
    const kind = decoding.readVarUint(decoder);
    switch (kind) {
      case MESSAGE_SYNC: {
        const step = decoding.readVarUint(decoder);
        const payload = readPayload(decoder);
        if (step === SYNC_STEP1) {
          Y.decodeStateVector(payload);
          return { type: 'sync-step1', stateVector: payload };
        }
        if (step === SYNC_STEP2) return { type: 'sync-step2', update: payload };
        if (step === SYNC_UPDATE) return { type: 'sync-update', update: payload };
        throw new ProtocolError(`unknown sync message ${step}`);
      }
      case MESSAGE_AWARENESS:
        return { type: 'awareness', update: readPayload(decoder) };
      case MESSAGE_QUERY_AWARENESS:
        if (decoding.hasContent(decoder)) throw new ProtocolError('trailing bytes after the message');
        return { type: 'query-awareness' };
      default:
        throw new ProtocolError(`unknown message type ${kind}`);
    }
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    throw new ProtocolError(`malformed message: ${(error as Error).message}`);
  }
}

/**
 * Whether an update is the empty one (no structs, no deletions), read from its bytes alone:
 * what a read-only client answers to the handshake when it has nothing new.
 */
export function isEmptyUpdate(update: Uint8Array): boolean {
  return update.length === 2 && update[0] === 0 && update[1] === 0;
}

/**
 * Parses a Yjs update without applying it, so that a malformed one is refused before it
 * can reach the document. Returns whether it carries any change at all, and what it holds.
 */
export function inspectUpdate(update: Uint8Array): { empty: true; decoded?: DecodedUpdate } | { empty: false; decoded: DecodedUpdate } {
  if (isEmptyUpdate(update)) return { empty: true };
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    decoded = Y.decodeUpdate(update);
  } catch (error) {
    throw new ProtocolError(`malformed update: ${(error as Error).message}`);
  }
  const { structs, ds } = decoded;
  if (newTypeNesting(structs) > MAX_TYPE_NESTING || jsonNestsDeeper(structs, MAX_JSON_NESTING)) {
    throw new ProtocolError('the update nests values deeper than any notebook does');
  }
  if (structs.length === 0 && ds.clients.size === 0) return { empty: true, decoded };
  return { empty: false, decoded };
}

function syncMessage(step: number, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_SYNC);
  encoding.writeVarUint(encoder, step);
  encoding.writeVarUint8Array(encoder, payload);
  return encoding.toUint8Array(encoder);
}

export const encodeSyncStep1 = (stateVector: Uint8Array): Uint8Array => syncMessage(SYNC_STEP1, stateVector);
export const encodeSyncStep2 = (update: Uint8Array): Uint8Array => syncMessage(SYNC_STEP2, update);
export const encodeSyncUpdate = (update: Uint8Array): Uint8Array => syncMessage(SYNC_UPDATE, update);

export function encodeAwarenessMessage(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
  encoding.writeVarUint8Array(encoder, update);
  return encoding.toUint8Array(encoder);
}

/** y-protocols' auth message: the provider reports it through its permission-denied hook. */
export function encodePermissionDenied(reason: string): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_AUTH);
  encoding.writeVarUint(encoder, AUTH_PERMISSION_DENIED);
  encoding.writeVarString(encoder, reason);
  return encoding.toUint8Array(encoder);
}

export interface AwarenessEntry {
  clientID: number;
  clock: number;
  /** Parsed state; null means the client left. */
  state: Record<string, unknown> | null;
}

/** Reads an awareness update (y-protocols/awareness encoding). Throws ProtocolError. */
export function decodeAwarenessUpdate(update: Uint8Array): AwarenessEntry[] {
  const decoder = decoding.createDecoder(update);
  try {
    const count = decoding.readVarUint(decoder);
    const entries: AwarenessEntry[] = [];
    for (let i = 0; i < count; i++) {
      const clientID = decoding.readVarUint(decoder);
      const clock = decoding.readVarUint(decoder);
      const parsed: unknown = JSON.parse(decoding.readVarString(decoder));
      if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
        throw new ProtocolError('awareness state must be an object or null');
      }
      entries.push({ clientID, clock, state: parsed as Record<string, unknown> | null });
    }
    if (decoding.hasContent(decoder)) throw new ProtocolError('trailing bytes after the awareness update');
    return entries;
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    throw new ProtocolError(`malformed awareness update: ${(error as Error).message}`);
  }
}

export function encodeAwarenessUpdate(entries: AwarenessEntry[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const entry of entries) {
    encoding.writeVarUint(encoder, entry.clientID);
    encoding.writeVarUint(encoder, entry.clock);
    encoding.writeVarString(encoder, JSON.stringify(entry.state));
  }
  return encoding.toUint8Array(encoder);
}
