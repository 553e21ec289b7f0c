// Stable ids for files under the root. A notebook's room, history and share links hang off
// its fileId, so renaming the file (or a folder above it) keeps all of them.

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SharedJsonFile } from './shared-json-file';

interface IndexFile {
  version: 1;
  files: Record<string, string>;
}

interface Index {
  byId: Map<string, string>;
  byPath: Map<string, string>;
}

function emptyIndex(): Index {
  return { byId: new Map(), byPath: new Map() };
}

function parseIndex(json: unknown): Index {
  const index = emptyIndex();
  for (const [id, path] of Object.entries((json as IndexFile).files ?? {})) {
    index.byId.set(id, path);
    index.byPath.set(path, id);
  }
  return index;
}

function serialise(index: Index): string {
  const file: IndexFile = { version: 1, files: Object.fromEntries(index.byId) };
  return JSON.stringify(file);
}

// Replicas of a cluster share the index through the state directory (shared-json-file.ts).
export class FileIdIndex {
  private readonly file: SharedJsonFile<Index>;

  constructor(stateDir: string, onWrite?: (path: string) => void) {
    this.file = new SharedJsonFile(join(stateDir, 'file-ids.json'), emptyIndex, parseIndex, onWrite);
  }

  pathOf(fileId: string): string | undefined {
    return this.file.read().byId.get(fileId);
  }

  idOf(path: string): string | undefined {
    return this.file.read().byPath.get(path);
  }

  /** The file's id, creating one the first time the file is opened or shared. */
  ensure(path: string): string {
    const existing = this.idOf(path);
    if (existing) return existing;
    return this.file.update((index) => {
      const raced = index.byPath.get(path);
      if (raced) return raced;
      const id = randomUUID();
      index.byId.set(id, path);
      index.byPath.set(path, id);
      return id;
    }, serialise);
  }

  /** Follows a rename of a file or of a directory (every path below it moves along). */
  rename(from: string, to: string): void {
    this.file.update((index) => {
      for (const [path, id] of [...index.byPath]) {
        let moved: string | undefined;
        if (path === from) moved = to;
        else if (path.startsWith(`${from}/`)) moved = to + path.slice(from.length);
        if (moved === undefined) continue;
        index.byPath.delete(path);
        index.byPath.set(moved, id);
        index.byId.set(id, moved);
      }
    }, serialise);
  }

  /** Forgets a deleted file or directory; returns the ids that were removed. */
  remove(path: string): string[] {
    const removed = this.idsUnder(path).filter((id) => {
      const p = this.pathOf(id);
      return p === path || p?.startsWith(`${path}/`);
    });
    if (!removed.length) return removed;
    return this.file.update((index) => {
      const gone: string[] = [];
      for (const [p, id] of [...index.byPath]) {
        if (p === path || p.startsWith(`${path}/`)) {
          index.byPath.delete(p);
          index.byId.delete(id);
          gone.push(id);
        }
      }
      return gone;
    }, serialise);
  }

  /** Ids of files at or below `path`. */
  idsUnder(path: string): string[] {
    const ids: string[] = [];
    for (const [p, id] of this.file.read().byPath) if (p === path || p.startsWith(`${path}/`) || path === '') ids.push(id);
    return ids;
  }
}
