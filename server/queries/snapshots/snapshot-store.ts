// Where snapshots live, behind the few operations the query runner and the HTTP API need, so
// that S3 or Redis can stand in for the local disk later.

import type { Readable } from 'node:stream';
import type { SnapshotMeta } from './snapshot';

/** A snapshot's data being written: to a local file first, whatever the store. */
export interface PendingData {
  /** Local file to write the Arrow IPC stream to. */
  readonly path: string;
  /** Stores the written file under its sha256. */
  commit(sha256: string): Promise<void>;
  /** Removes the written file; nothing is stored. */
  discard(): Promise<void>;
}

export interface SnapshotStore {
  beginData(): Promise<PendingData>;
  /**
   * Records one fetch whose data was committed: a new snapshot, or, when a snapshot with this
   * id exists (the same cell got the same rows), that one with the fetch added. Resolves with
   * the snapshot as stored.
   */
  record(meta: SnapshotMeta): Promise<SnapshotMeta>;
  get(id: string): Promise<SnapshotMeta | undefined>;
  /** A notebook's snapshots, newest first; only one cell's when cellId is given. */
  list(notebook: string, cellId?: string): Promise<SnapshotMeta[]>;
  openData(meta: SnapshotMeta): Promise<Readable>;
  /**
   * A local file with the data that a kernel on this machine can read, or undefined when the
   * store is remote (the data must then be copied next to the kernel).
   */
  localPath(meta: SnapshotMeta): string | undefined;
}
