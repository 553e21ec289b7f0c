// The snapshot choices kept in the notebook itself, so they travel with the .ipynb file:
// `metadata.tandem.queries` on the notebook ("reproducible", the default, or "live") and
// `metadata.tandem.snapshot` on each SQL cell (the pinned snapshot's id).

import * as Y from 'yjs';
import { isJSONObject, type JSONObject } from '../../common/nbformat';
import { type Room, SERVER_ORIGIN } from '../rooms/room';
import { isSnapshotId } from './snapshots/snapshot';

export type QueryMode = 'reproducible' | 'live';

const KEY = 'tandem';

function tandemOf(metadata: unknown): JSONObject {
  const value = metadata instanceof Y.Map ? metadata.get(KEY) : undefined;
  if (value instanceof Y.Map) return value.toJSON() as JSONObject;
  return isJSONObject(value) ? value : {};
}

export function notebookMode(doc: Y.Doc): QueryMode {
  return tandemOf(doc.getMap('meta').get('metadata')).queries === 'live' ? 'live' : 'reproducible';
}

export function findCell(doc: Y.Doc, cellId: string): Y.Map<unknown> | undefined {
  for (const cell of doc.getArray('cells')) if (cell instanceof Y.Map && cell.get('id') === cellId) return cell;
  return undefined;
}

export function pinnedSnapshot(doc: Y.Doc, cellId: string): string | undefined {
  const pin = tandemOf(findCell(doc, cellId)?.get('metadata')).snapshot;
  return isSnapshotId(pin) ? pin : undefined;
}

/** Pins (or, with undefined, unpins) a snapshot in the cell's metadata. False if no such cell. */
export function setPin(room: Room, cellId: string, snapshotId: string | undefined): boolean {
  const cell = findCell(room.doc, cellId);
  if (!cell) return false;
  room.transact(() => {
    let metadata = cell.get('metadata');
    if (!(metadata instanceof Y.Map)) {
      metadata = new Y.Map<unknown>(Object.entries(isJSONObject(metadata) ? metadata : {}));
      cell.set('metadata', metadata);
    }
    const map = metadata as Y.Map<unknown>;
    const tandem: JSONObject = { ...tandemOf(map) };
    if (snapshotId === undefined) delete tandem.snapshot;
    else tandem.snapshot = snapshotId;
    if (tandemOf(map).snapshot === tandem.snapshot) return;
    if (Object.keys(tandem).length) map.set(KEY, tandem);
    else map.delete(KEY);
  }, SERVER_ORIGIN);
  return true;
}
