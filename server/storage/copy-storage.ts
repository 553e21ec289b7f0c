// Copies notebooks' histories and versions from one storage to another, through the storage
// seams, so that it works in either direction (the state directory into a bucket, and back).
// A history is copied as its whole state under the same lineage (sessionId, savedHash), so
// clients of either side stay in the same lineage and nothing looks like an outside edit.

import * as Y from 'yjs';
import type { DocStorage } from './doc-storage';
import type { VersionStore } from './version-store';

export async function copyHistories(from: DocStorage, to: DocStorage): Promise<number> {
  let copied = 0;
  for (const fileId of await from.list()) {
    const loaded = await from.load(fileId);
    if (!loaded) continue;
    try {
      const doc = new Y.Doc({ gc: true });
      doc.transact(() => {
        for (const update of loaded.updates) Y.applyUpdate(doc, update);
      });
      const history = await to.create(loaded.meta, Y.encodeStateAsUpdate(doc));
      await history.close();
      doc.destroy();
      copied++;
    } finally {
      await loaded.history.close();
    }
  }
  return copied;
}

/** Every version of these notebooks, with its facts unchanged (ids, authors, labels, bases). */
export async function copyVersions(from: VersionStore, to: VersionStore, fileIds: Iterable<string>): Promise<number> {
  let copied = 0;
  for (const fileId of fileIds) {
    // Oldest first: a version's base is always there before it.
    for (const meta of (await from.list(fileId)).reverse()) {
      const state = await from.read(fileId, meta.id);
      if (!state) continue;
      await to.save(fileId, meta, state);
      copied++;
    }
  }
  return copied;
}
