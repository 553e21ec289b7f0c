// How a load client frames y-protocols messages for one server. Most servers take bare
// y-protocols frames on a per-room socket; Hocuspocus multiplexes documents on one socket,
// prefixes every frame with the document name and wants an auth frame first.

import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

export interface Dialect {
  /** Frames sent as soon as the socket opens, before any y-protocols frame. */
  hello(): Uint8Array[];
  wrap(frame: Uint8Array): Uint8Array;
  /** The y-protocols frame inside `data`, or null for the dialect's own frames (acks, auth). */
  unwrap(data: Uint8Array): Uint8Array | null;
}

export const plainDialect: Dialect = {
  hello: () => [],
  wrap: (frame) => frame,
  unwrap: (data) => data,
};

// Hocuspocus message types that carry no y-protocols payload for us.
const HP_AUTH = 2;
const HP_SYNC_STATUS = 8;
const HP_CLOSE = 7;

export function hocuspocusDialect(documentName: string): Dialect {
  const prefix = (() => {
    const e = encoding.createEncoder();
    encoding.writeVarString(e, documentName);
    return encoding.toUint8Array(e);
  })();
  return {
    hello() {
      const e = encoding.createEncoder();
      encoding.writeVarString(e, documentName);
      encoding.writeVarUint(e, HP_AUTH);
      encoding.writeVarUint(e, 0); // AuthMessageType.Token
      encoding.writeVarString(e, 'bench'); // the launcher accepts any token
      return [encoding.toUint8Array(e)];
    },
    wrap(frame) {
      const out = new Uint8Array(prefix.length + frame.length);
      out.set(prefix, 0);
      out.set(frame, prefix.length);
      return out;
    },
    unwrap(data) {
      const d = decoding.createDecoder(data);
      decoding.readVarString(d);
      const inner = data.subarray(d.pos);
      const type = inner[0];
      if (type === HP_AUTH || type === HP_SYNC_STATUS || type === HP_CLOSE) return null;
      // SyncReply (4) is a sync message answering ours; to us it is plain sync.
      if (type === 4) {
        const copy = inner.slice();
        copy[0] = 0;
        return copy;
      }
      return inner;
    },
  };
}
