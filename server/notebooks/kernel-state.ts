// The one writer of a notebook's `kernel` map. The kernel session (status, kernelspec, activity)
// and the environment (builds, which environment runs, problems with the specification) both
// report here, so the map follows one rule: a field given a value is set if it changed, a field
// given `undefined` is removed, a field not named is left alone. Each change is one transaction
// (it goes into the update log), and nothing is written once the notebook is unloading.

import type * as Y from 'yjs';
import { KERNEL_MAP, type KernelState } from '../../common/doc-schema';
import { type Room, SERVER_ORIGIN } from '../rooms/room';

export type KernelPatch = { [K in keyof KernelState]?: KernelState[K] | undefined };

export class KernelStateWriter {
  private readonly map: Y.Map<unknown>;
  private closed = false;

  constructor(private readonly room: Room) {
    this.map = room.doc.getMap(KERNEL_MAP);
  }

  get<K extends keyof KernelState>(key: K): KernelState[K] | undefined {
    return this.map.get(key) as KernelState[K] | undefined;
  }

  get isEmpty(): boolean {
    return this.map.size === 0;
  }

  /** Later writes do nothing: the notebook is going away (a build may still be finishing). */
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
