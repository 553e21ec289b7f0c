// A small JSON file of Tandem's own (file ids, share links) that several server processes may
// share: replicas of a cluster on one shared state directory. Reads notice when another
// process replaced the file (its inode, size or mtime changed) and parse it again; an update
// reads the newest file, changes it and writes it back under a lock file, so two processes
// changing it at once both keep their change. One process alone pays a stat per read.

import { closeSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { writeFileAtomicSync } from './atomic-write';

/** A lock older than this was left by a process that died holding it. */
const STALE_LOCK_MS = 5000;
const LOCK_WAIT_MS = 10_000;
const LOCK_RETRY_MS = 2;

interface Stamp {
  ino: number;
  size: number;
  mtimeMs: number;
}

export class SharedJsonFile<T> {
  private value: T;
  private stamp: Stamp | undefined;
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));

  constructor(
    private readonly path: string,
    private readonly empty: () => T,
    /** Turns the parsed file into the value; throws if it is not one. */
    private readonly parse: (json: unknown) => T,
    /** Told after every write (to store the file beyond this machine). */
    private readonly onWrite: (path: string) => void = () => {},
  ) {
    this.value = empty();
    this.refresh();
  }

  /** The newest value, read again if another process changed the file. */
  read(): T {
    this.refresh();
    return this.value;
  }

  /** Changes the value and writes it, with every other process's changes kept. */
  update<R>(change: (value: T) => R, serialise: (value: T) => string): R {
    this.lock();
    try {
      this.refresh();
      const result = change(this.value);
      writeFileAtomicSync(this.path, serialise(this.value), 0o600);
      this.stamp = this.stampOf();
      this.onWrite(this.path);
      return result;
    } finally {
      rmSync(`${this.path}.lock`, { force: true });
    }
  }

  private refresh(): void {
    const stamp = this.stampOf();
    if (!stamp) {
      if (this.stamp) this.value = this.empty();
      this.stamp = undefined;
      return;
    }
    if (this.stamp && stamp.ino === this.stamp.ino && stamp.size === this.stamp.size && stamp.mtimeMs === this.stamp.mtimeMs) return;
    this.value = this.parse(JSON.parse(readFileSync(this.path, 'utf8')));
    this.stamp = stamp;
  }

  private stampOf(): Stamp | undefined {
    try {
      const { ino, size, mtimeMs } = statSync(this.path);
      return { ino, size, mtimeMs };
    } catch {
      return undefined;
    }
  }

  // Held for the microseconds of one read-change-write, so waiting synchronously is cheaper
  // than making every caller asynchronous.
  private lock(): void {
    const lockPath = `${this.path}.lock`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        closeSync(openSync(lockPath, 'wx', 0o600));
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const age = Date.now() - (statSync(lockPath, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) rmSync(lockPath, { force: true });
      else if (Date.now() > deadline) throw new Error(`${lockPath} stayed locked for ${LOCK_WAIT_MS / 1000} s`);
      else Atomics.wait(this.sleeper, 0, 0, LOCK_RETRY_MS);
    }
  }
}
