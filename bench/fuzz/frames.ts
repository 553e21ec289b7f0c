// Malformed and mutated y-protocols frames: random bytes, valid frames with damage, lengths
// that lie, numbers that never end, unknown message types, awareness that is not JSON, is
// enormous, or claims other clients' ids.
import * as encoding from 'lib0/encoding';
import { awarenessFrame, syncStep1, syncStep2, syncUpdate } from '../lib/frames.js';
import type { Rng } from '../lib/random.js';

export interface FrameCase {
  name: string;
  make(rng: Rng, sample: Uint8Array): Uint8Array | string;
}

function mutate(rng: Rng, frame: Uint8Array): Uint8Array {
  const out = Uint8Array.from(frame);
  const flips = 1 + rng.int(8);
  for (let i = 0; i < flips && out.length; i++) {
    const at = rng.int(out.length);
    out[at] = rng.next() < 0.5 ? out[at] ^ (1 << rng.int(8)) : rng.int(256);
  }
  return out;
}

function awarenessRaw(entries: Array<[number, number, string]>): Uint8Array {
  const inner = encoding.createEncoder();
  encoding.writeVarUint(inner, entries.length);
  for (const [id, clock, json] of entries) {
    encoding.writeVarUint(inner, id);
    encoding.writeVarUint(inner, clock);
    encoding.writeVarString(inner, json);
  }
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 1);
  encoding.writeVarUint8Array(e, encoding.toUint8Array(inner));
  return encoding.toUint8Array(e);
}

export const FRAME_CASES: FrameCase[] = [
  { name: 'random bytes', make: (rng) => rng.bytes(1 + rng.int(2048)) },
  { name: 'empty frame', make: () => new Uint8Array(0) },
  { name: 'text frame', make: (rng) => `{"type":"sync","junk":${rng.int(1e9)}}` },
  { name: 'mutated valid update', make: (rng, sample) => mutate(rng, syncUpdate(sample)) },
  { name: 'mutated sync step 2', make: (rng, sample) => mutate(rng, syncStep2(sample)) },
  { name: 'truncated update', make: (rng, sample) => syncUpdate(sample).slice(0, 1 + rng.int(Math.max(1, sample.length))) },
  { name: 'update with trailing junk', make: (rng, sample) => Uint8Array.from([...syncUpdate(sample), ...rng.bytes(16)]) },
  { name: 'varuint that never ends', make: () => Uint8Array.from([0, 2, ...new Array(64).fill(0xff)]) },
  { name: 'length claiming 4 GB', make: () => Uint8Array.from([0, 2, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]) },
  { name: 'sync step 1 with a garbage state vector', make: (rng) => syncStep1(rng.bytes(1 + rng.int(64))) },
  { name: 'unknown sync step', make: (rng) => Uint8Array.from([0, 3 + rng.int(250), 1, 0]) },
  { name: 'unknown message type', make: (rng) => Uint8Array.from([2 + rng.int(250), ...rng.bytes(rng.int(32))]) },
  { name: 'auth message from a client', make: () => Uint8Array.from([2, 0, 4, 0x6f, 0x77, 0x6e, 0x72]) },
  { name: 'awareness that is not JSON', make: (rng) => awarenessRaw([[rng.int(1e6), 1, '{not json']]) },
  { name: 'awareness of 1 MB', make: (rng) => awarenessFrame(rng.int(1e6), 1, { user: { name: 'x'.repeat(1 << 20) } }) },
  {
    name: 'awareness for a thousand client ids',
    make: (rng) => awarenessRaw(Array.from({ length: 1000 }, (_, i) => [i, 1 + rng.int(10), '{"user":{"name":"sybil"}}'] as [number, number, string])),
  },
  {
    name: 'awareness removing client 0 and huge ids',
    make: () =>
      awarenessRaw([
        [0, 99, 'null'],
        [2 ** 32 - 1, 2 ** 31, 'null'],
      ]),
  },
  { name: 'awareness with forged role', make: (rng) => awarenessFrame(rng.int(1e6), 1, { user: { name: 'mallory', role: 'owner' } }) },
  { name: 'awareness that is a bare number', make: (rng) => awarenessRaw([[rng.int(1e6), 1, '12345']]) },
];
