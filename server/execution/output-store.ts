// Whole outputs that were too large for the shared document, kept on disk so that anyone
// who can read the notebook can fetch them. Each is capped too: a kernel printing without
// end fills neither memory nor the disk.

import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, type ReadStream, rmSync, statSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';

export const MAX_STORED_OUTPUT_BYTES = 64 * 1024 * 1024;
const KEY = /^[0-9a-f-]{36}$/;

export class StoredOutput {
  private bytes = 0;
  private writing: Promise<void> = Promise.resolve();
  /** Bytes offered beyond the cap, which were not kept. */
  discarded = 0;

  constructor(
    readonly key: string,
    private readonly path: string,
    private readonly onWrite: (path: string) => void,
  ) {}

  append(text: string): void {
    const room = MAX_STORED_OUTPUT_BYTES - this.bytes;
    const kept = room <= 0 ? '' : Buffer.byteLength(text) <= room ? text : Buffer.from(text).subarray(0, room).toString();
    this.discarded += Buffer.byteLength(text) - Buffer.byteLength(kept);
    if (!kept) return;
    this.bytes += Buffer.byteLength(kept);
    this.writing = this.writing
      .then(() => appendFile(this.path, kept))
      .then(() => this.onWrite(this.path))
      .catch(() => {});
  }

  flushed(): Promise<void> {
    return this.writing;
  }
}

export class OutputStore {
  constructor(
    private readonly dir: string,
    /** Told after every write (to store the output beyond this machine). */
    private readonly onWrite: (path: string) => void = () => {},
    /** Told when a notebook's outputs are dropped (to drop them there too). */
    private readonly onForget: (dir: string) => void = () => {},
  ) {}

  create(fileId: string, extension: 'txt' | 'json'): StoredOutput {
    const folder = join(this.dir, fileId);
    mkdirSync(folder, { recursive: true });
    const key = randomUUID();
    return new StoredOutput(key, join(folder, `${key}.${extension}`), this.onWrite);
  }

  /** The stored output, or undefined. Keys are checked, so no path can be smuggled in. */
  open(fileId: string, key: string): { stream: ReadStream; type: string; size: number } | undefined {
    if (!KEY.test(key) || !KEY.test(fileId)) return undefined;
    for (const [extension, type] of [
      ['txt', 'text/plain; charset=utf-8'],
      ['json', 'application/json'],
    ] as const) {
      const path = join(this.dir, fileId, `${key}.${extension}`);
      if (existsSync(path)) return { stream: createReadStream(path), type, size: statSync(path).size };
    }
    return undefined;
  }

  forget(fileId: string): void {
    if (!KEY.test(fileId)) return;
    rmSync(join(this.dir, fileId), { recursive: true, force: true });
    this.onForget(join(this.dir, fileId));
  }
}
