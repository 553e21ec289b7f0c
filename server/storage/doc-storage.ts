// Where each notebook's document history lives: the seam between rooms and storage. The
// filesystem (fs-doc-storage.ts) is the default; memory-doc-storage.ts serves tests; an object
// store fits behind the same two interfaces. Appends are synchronous on purpose: an update
// reaches other clients only after append returns, so an implementation that is slow to reach
// (S3) must make it durable locally first (a write-ahead log) and ship it later.

export interface DocMeta {
  fileId: string;
  /** Names the lineage of the history; changes only when the history is rebuilt. */
  sessionId: string;
  createdAt: string;
  /** sha256 of the .ipynb bytes Tandem last wrote or read, to notice outside edits. */
  savedHash?: string;
}

export interface LoadedHistory {
  meta: DocMeta;
  /** A compacted state first (if any), then every logged update, in order. */
  updates: Uint8Array[];
  history: DocHistory;
  /** Bytes cut from a log whose last record was torn by a crash. */
  tornBytes: number;
}

/** Where a change to a document came from: a client of this server, this server, or a cluster's shared log. */
export type UpdateSource = 'client' | 'server' | 'log';

/** One notebook's history while it is open. */
export interface DocHistory {
  readonly sessionId: string;
  readonly savedHash: string | undefined;
  /** Bytes appended since the last compaction: the cue to compact again. */
  readonly logBytes: number;
  /**
   * Durably appends one update; throws if it could not be stored. A cluster's history returns
   * a promise instead (its log is in Redis): the update reaches nobody before it settles.
   */
  append(update: Uint8Array, source?: UpdateSource): void | Promise<void>;
  /**
   * Resolves while this process may write the notebook's files; rejects once another replica
   * has taken the notebook over (cluster mode). Histories of one process need none.
   */
  checkFence?(): Promise<void>;
  /**
   * Storage that can be out of reach (a bucket) tells whether it is; `reachable: false` while
   * edits are held locally, waiting to be written. Histories on a local disk never call it.
   */
  onReachability?(listener: (reachable: boolean) => void): void;
  setSavedHash(hash: string): Promise<void>;
  /** Folds the log into one state. `encodeState` must return the document's full state. */
  compact(encodeState: () => Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface DocStorage {
  /** The stored history, or undefined when there is none (never opened, or lost). */
  load(fileId: string): Promise<LoadedHistory | undefined>;
  /** Starts a new lineage from a complete initial state, replacing whatever was stored. */
  create(meta: DocMeta, initialState: Uint8Array): Promise<DocHistory>;
  /** Forgets a notebook's history (the notebook was deleted). */
  remove(fileId: string): Promise<void>;
  /** The fileIds that have a stored history. */
  list(): Promise<string[]>;
}
