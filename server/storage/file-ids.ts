// Stable ids for files under the root. A notebook's room, history and share links hang off
// its fileId, so renaming the file (or a folder above it) keeps all of them.

import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from './atomic-write';

interface IndexFile {
  version: 1;
  files: Record<string, string>;
}

export class FileIdIndex {
  private readonly byId = new Map<string, string>();
  private readonly byPath = new Map<string, string>();
  private readonly file: string;

  constructor(stateDir: string) {
    this.file = join(stateDir, 'file-ids.json');
    if (existsSync(this.file)) {
      const index = JSON.parse(readFileSync(this.file, 'utf8')) as IndexFile;
      for (const [id, path] of Object.entries(index.files)) {
        this.byId.set(id, path);
        this.byPath.set(path, id);
      }
    }
  }

  pathOf(fileId: string): string | undefined {
    return this.byId.get(fileId);
  }

  idOf(path: string): string | undefined {
    return this.byPath.get(path);
  }

  /** The file's id, creating one the first time the file is opened or shared. */
  ensure(path: string): string {
    const existing = this.byPath.get(path);
    if (existing) return existing;
    const id = randomUUID();
    this.byId.set(id, path);
    this.byPath.set(path, id);
    this.persist();
    return id;
  }

  /** Follows a rename of a file or of a directory (every path below it moves along). */
  rename(from: string, to: string): void {
    let changed = false;
    for (const [path, id] of [...this.byPath]) {
      let moved: string | undefined;
      if (path === from) moved = to;
      else if (path.startsWith(`${from}/`)) moved = to + path.slice(from.length);
      if (moved === undefined) continue;
      this.byPath.delete(path);
      this.byPath.set(moved, id);
      this.byId.set(id, moved);
      changed = true;
    }
    if (changed) this.persist();
  }

  /** Forgets a deleted file or directory; returns the ids that were removed. */
  remove(path: string): string[] {
    const removed: string[] = [];
    for (const [p, id] of [...this.byPath]) {
      if (p === path || p.startsWith(`${path}/`)) {
        this.byPath.delete(p);
        this.byId.delete(id);
        removed.push(id);
      }
    }
    if (removed.length) this.persist();
    return removed;
  }

  /** Ids of files at or below `path`. */
  idsUnder(path: string): string[] {
    const ids: string[] = [];
    for (const [p, id] of this.byPath) if (p === path || p.startsWith(`${path}/`) || path === '') ids.push(id);
    return ids;
  }

  private persist(): void {
    const index: IndexFile = { version: 1, files: Object.fromEntries(this.byId) };
    writeFileAtomicSync(this.file, JSON.stringify(index), 0o600);
  }
}
