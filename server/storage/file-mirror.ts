// Where the files of a local directory (the root, or the durable parts of the state directory)
// are kept beyond this machine. With the filesystem storage the local directory is the truth and
// the mirror does nothing; with a bucket (s3/s3-file-mirror.ts) the local directory is a cache:
// brought in from the bucket at start, and every write the server makes to it written through.
// Paths are absolute paths under the mirrored directory.

export interface FileMirror {
  /** Brings the bucket's files into the local directory, and the local ones it lacks into the bucket. */
  restore(): Promise<void>;
  /** Throws a clear `invalid` error when the path cannot be stored (too long for a key, control characters). */
  accepts(path: string): void;
  /**
   * The file was written here: store it now. A file changed in the bucket by another writer since
   * this one last read it is not overwritten: the local file becomes the bucket's version, and
   * StaleObjectError is thrown so the caller can merge and write again.
   */
  written(path: string): Promise<void>;
  /** The file was written here: store it soon (within about a second), in the background. */
  touched(path: string): void;
  /** A file or a folder (with everything under it) was deleted here. */
  removed(path: string): Promise<void>;
  renamed(from: string, to: string): Promise<void>;
  /** A folder was made here; an empty folder is kept too. */
  folderMade(path: string): Promise<void>;
  /** Asks the bucket (one HEAD) whether another tool changed the file; brings the change in and answers true if so. */
  refresh(path: string): Promise<boolean>;
  /**
   * Brings in what other tools put in (or changed in) this folder of the bucket: one listing of
   * the folder, at most once per check interval.
   */
  refreshFolder(path: string): Promise<void>;
  /** Waits for everything touched so far to be stored. */
  flush(): Promise<void>;
  /**
   * Brings the bucket up to what was done here by other means since the last look (files a
   * kernel saved, removed or renamed): a stat of every local file, a write of each new or changed
   * one, and a delete of each one seen here before and gone now (never of a key not seen here).
   */
  sweep(): Promise<void>;
}

/**
 * Whether a write was refused because the bucket's copy changed since it was read (the
 * StaleObjectError of s3/bucket.ts, named here so callers need not load the AWS SDK): the local
 * file is then the bucket's version, to merge into and write again.
 */
export function isStaleWrite(error: unknown): boolean {
  return error instanceof Error && error.name === 'StaleObjectError';
}

/** The filesystem storage: the local directory is all there is. */
export const localOnly: FileMirror = {
  restore: async () => {},
  accepts: () => {},
  written: async () => {},
  touched: () => {},
  removed: async () => {},
  renamed: async () => {},
  folderMade: async () => {},
  refresh: async () => false,
  refreshFolder: async () => {},
  flush: async () => {},
  sweep: async () => {},
};
