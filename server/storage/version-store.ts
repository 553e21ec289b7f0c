// Where each notebook's versions live: a second, small seam beside DocStorage. A version is an
// encoded state (a whole one, or only what changed since the version it names as its base; it
// rebuilds the notebook exactly without the update log, which compaction folds away) plus a few
// facts about it. Stores keep bytes and facts; versions/version-chain.ts follows the bases. The filesystem (fs-version-store.ts) is
// the default; memory-version-store.ts serves tests; an object store keeps the same layout as
// keys: one index object per notebook and one object per version's state, so listing never
// needs a bucket listing.

import type { VersionAuthor, VersionReason } from '../../common/api';

export interface VersionMeta {
  /** Sorts by creation time: newer versions have greater ids. */
  id: string;
  createdAt: string;
  authors: VersionAuthor[];
  label: string | null;
  reason: VersionReason;
  /** Bytes of the stored state. */
  bytes: number;
  /** The version this one's state adds to, or null when it holds the whole state. */
  base: string | null;
  /** How many versions lie between this one and the whole state its chain starts from. */
  depth: number;
}

export interface VersionStore {
  /** Stores a version's state and adds it to the notebook's index; an id saved again is replaced. */
  save(fileId: string, meta: VersionMeta, state: Uint8Array): Promise<void>;
  /** The notebook's versions, newest first. */
  list(fileId: string): Promise<VersionMeta[]>;
  /** A version's stored state, or undefined when there is no such version. */
  read(fileId: string, id: string): Promise<Uint8Array | undefined>;
  /** Drops these versions (retention); unknown ids are ignored. */
  remove(fileId: string, ids: readonly string[]): Promise<void>;
  /** Forgets every version of a notebook (it was deleted). */
  removeAll(fileId: string): Promise<void>;
}

/** Version ids travel in URLs and name stored objects: only this shape is ever looked up. */
export const VERSION_ID = /^[0-9a-z]{1,32}-[0-9a-z]{1,32}$/;
