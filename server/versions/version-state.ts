// How a version's document is kept: the Yjs state in its compact V2 encoding, deflated.
// Measured on a generated 5 MB notebook (bench/version-size.ts), this is far smaller than the
// plain encoded state, and it rebuilds the same document.

import { promisify } from 'node:util';
import { deflateRaw, inflateRaw } from 'node:zlib';
import * as Y from 'yjs';

const deflate = promisify(deflateRaw);
const inflate = promisify(inflateRaw);

export async function encodeVersionState(doc: Y.Doc): Promise<Uint8Array> {
  // Encoded now, synchronously: the document may change while the bytes are compressed.
  const state = Y.encodeStateAsUpdateV2(doc);
  return new Uint8Array(await deflate(state));
}

/** The document a stored version holds. */
export async function decodeVersionState(stored: Uint8Array): Promise<Y.Doc> {
  const doc = new Y.Doc();
  Y.applyUpdateV2(doc, new Uint8Array(await inflate(stored)));
  return doc;
}
