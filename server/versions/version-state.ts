// How a version's document is kept: Yjs updates in the compact V2 encoding, deflated. A version
// holds either the whole state or what changed since its base version (a state vector), so a
// version after a few minutes of typing costs a few kilobytes, not the whole notebook again.
// Measured on generated notebooks with bench/version-size.ts.

import { promisify } from 'node:util';
import { deflateRaw, inflateRaw } from 'node:zlib';
import * as Y from 'yjs';

const deflate = promisify(deflateRaw);
const inflate = promisify(inflateRaw);

/** The document's state, or only what it has beyond `since` (a state vector). */
export async function encodeVersionState(doc: Y.Doc, since?: Uint8Array): Promise<Uint8Array> {
  // Encoded now, synchronously: the document may change while the bytes are compressed.
  const update = Y.encodeStateAsUpdateV2(doc, since);
  return new Uint8Array(await deflate(update));
}

/** The document a chain of stored states builds: a whole state and what was added to it since. */
export async function decodeVersionStates(stored: readonly Uint8Array[]): Promise<Y.Doc> {
  const doc = new Y.Doc();
  for (const state of stored) Y.applyUpdateV2(doc, new Uint8Array(await inflate(state)));
  return doc;
}

/** Two stored states as one: a base and what was added to it. */
export async function mergeVersionStates(base: Uint8Array, added: Uint8Array): Promise<Uint8Array> {
  const merged = Y.mergeUpdatesV2([new Uint8Array(await inflate(base)), new Uint8Array(await inflate(added))]);
  return new Uint8Array(await deflate(merged));
}
