// Writes the environment fields of a notebook's `kernel` map, as the server, in one transaction
// per change and only where a value actually changes (each write goes into the update log).

import * as Y from 'yjs';
import { KERNEL_MAP, type KernelState } from '../../common/doc-schema';
import { SERVER_ORIGIN, type Room } from '../rooms/room';

/** A field set to undefined is removed from the map. */
export type KernelPatch = { [K in keyof KernelState]?: KernelState[K] | undefined };

export class KernelMapWriter {
  private readonly map: Y.Map<unknown>;
  private closed = false;

  constructor(private readonly room: Room) {
    this.map = room.doc.getMap(KERNEL_MAP);
  }

  get(key: keyof KernelState): unknown {
    return this.map.get(key);
  }

  /** Later writes do nothing: the room is going away (a build may still be finishing). */
  close(): void {
    this.closed = true;
  }

  write(patch: KernelPatch): void {
    if (this.closed) return;
    const changes = Object.entries(patch).filter(([key, value]) =>
      value === undefined ? this.map.has(key) : JSON.stringify(this.map.get(key)) !== JSON.stringify(value),
    );
    if (!changes.length) return;
    this.room.transact(() => {
      for (const [key, value] of changes) {
        if (value === undefined) this.map.delete(key);
        else this.map.set(key, value);
      }
    }, SERVER_ORIGIN);
  }
}
