// Versions stored as chains: a whole state, then versions holding only what changed since the
// one before. Reading follows the chain back to its whole state; dropping a version folds its
// state into the versions built on it first, so no chain is ever broken.

import type * as Y from 'yjs';
import type { VersionMeta, VersionStore } from '../storage/version-store';
import { decodeVersionStates, mergeVersionStates } from './version-state';

async function stateOf(store: VersionStore, fileId: string, id: string): Promise<Uint8Array> {
  const state = await store.read(fileId, id);
  if (!state) throw new Error(`version ${id} of ${fileId} has no stored state`);
  return state;
}

/** The document at a version, or undefined when there is no such version. */
export async function readVersionDoc(store: VersionStore, fileId: string, id: string): Promise<Y.Doc | undefined> {
  const versions = new Map((await store.list(fileId)).map((v) => [v.id, v]));
  let at = versions.get(id);
  if (!at) return undefined;
  const chain: Uint8Array[] = [];
  for (;;) {
    chain.unshift(await stateOf(store, fileId, at.id));
    if (at.base === null) break;
    const base = versions.get(at.base);
    if (!base) throw new Error(`version ${at.id} of ${fileId} builds on ${at.base}, which is gone`);
    at = base;
  }
  return decodeVersionStates(chain);
}

/** Drops versions; each one's state is first folded into the versions that build on it. */
export async function dropVersions(store: VersionStore, fileId: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const versions = new Map((await store.list(fileId)).map((v) => [v.id, v]));
  for (const id of ids) {
    const dropped = versions.get(id);
    if (!dropped) continue;
    const dependents = [...versions.values()].filter((v) => v.base === id);
    for (const dependent of dependents) {
      const state = await mergeVersionStates(await stateOf(store, fileId, id), await stateOf(store, fileId, dependent.id));
      const folded: VersionMeta = { ...dependent, base: dropped.base, bytes: state.byteLength };
      // Saved before the drop: a crash in between leaves an unused version, never a broken chain.
      await store.save(fileId, folded, state);
      versions.set(folded.id, folded);
    }
    await store.remove(fileId, [id]);
    versions.delete(id);
  }
}
