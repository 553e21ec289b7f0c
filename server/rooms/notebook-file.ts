// Binds an open notebook's document to its .ipynb file: saves it (debounced, atomically) so
// the file on disk is always a normal notebook, and merges edits made to the file from
// outside, cell by cell. A save that would empty or drastically shrink the file first keeps
// the previous version as a backup. With a bucket, each save is written through to it, and the
// bucket's copy is checked now and then (one HEAD) for changes other tools made there.

import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type * as Y from 'yjs';
import type { NotebookJSON } from '../../common/nbformat';
import { mergeNotebookIntoDoc } from '../notebook/merge';
import { notebookFromDoc } from '../notebook/notebook-doc';
import { baseOf, type NotebookBase, rebaseOutsideEdit } from '../notebook/rebase';
import { serializeNotebook } from '../notebook/serialize';
import { type ReadNotebook, readNotebookJSON, schemaProblem } from '../notebook/validate';
import { writeFileAtomic } from '../storage/atomic-write';
import type { DocHistory } from '../storage/doc-storage';
import { type FileMirror, isStaleWrite } from '../storage/file-mirror';
import type { RoomLogger } from './room';

/** Origin of changes merged in from the file on disk. */
export const FILE_ORIGIN = Symbol('tandem-file');

export interface NotebookFileOptions {
  fileId: string;
  doc: Y.Doc;
  history: DocHistory;
  /** The file's current absolute path (it follows renames). */
  path(): string | undefined;
  backupDir: string;
  log: RoomLogger;
  saveDelayMs: number;
  saveMaxDelayMs: number;
  /** Runs before an outside edit is merged (to keep a version of what it changes). */
  beforeMerge?(): Promise<void>;
  /** Where the file is kept beyond this machine (a bucket), if anywhere. */
  mirror?: FileMirror;
  /** How often the mirror is asked for outside changes; 0 never. */
  mirrorCheckMs?: number;
}

interface FileStamp {
  mtimeMs: number;
  size: number;
  ino: number;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

// A save smaller than this fraction of the file it replaces keeps a backup of that file.
const SHRINK_RATIO = 0.5;
const SHRINK_MIN_BYTES = 4096;
// Larger than any notebook without cells, so emptying a notebook with content keeps a backup.
const EMPTY_NOTEBOOK_BYTES = 512;

export class NotebookFile {
  private stamp: FileStamp | undefined;
  /**
   * The hash of the file as we would write it (our serialization of what it holds), to tell a
   * save that would change nothing. A hash, not the text: the text would be a second copy of
   * the notebook beside its Y.Doc, for as long as the room is open.
   */
  private diskTextHash: string | undefined;
  /**
   * The copy other writers started from, as fingerprints (the file as last read or written here;
   * with a bucket, as last stored there): when an outside edit is merged, or a write to the
   * bucket is refused, only what they changed since it is theirs.
   */
  private base: NotebookBase | undefined;
  private diskHash: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private firstPendingAt = 0;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private checkedMirrorAt = Date.now();

  constructor(private readonly options: NotebookFileOptions) {
    this.diskHash = options.history.savedHash;
  }

  /** Call on every document change. */
  scheduleSave(): void {
    if (this.stopped) return;
    const now = Date.now();
    if (!this.timer) this.firstPendingAt = now;
    clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.options.saveDelayMs, this.firstPendingAt + this.options.saveMaxDelayMs - now));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.enqueue(() => this.save());
    }, wait);
  }

  /** Saves now if anything is pending, and waits for it. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      await this.enqueue(() => this.save());
    }
    await this.running;
  }

  /** Looks for an outside edit of the file and merges it. */
  checkForOutsideEdit(): Promise<void> {
    return this.enqueue(() => this.mergeOutsideEdit());
  }

  async stop(): Promise<void> {
    await this.flush();
    this.stopped = true;
  }

  // Saves and merges run one at a time, in order, so a merge never races a write.
  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.running.then(task).catch((error: unknown) => {
      this.options.log.error({ fileId: this.options.fileId, err: error }, 'notebook file operation failed');
    });
    this.running = run;
    return run;
  }

  private async mergeOutsideEdit(): Promise<void> {
    const path = this.options.path();
    if (!path) return;
    await this.checkMirror(path);
    let current: FileStamp;
    try {
      const s = await stat(path);
      current = { mtimeMs: s.mtimeMs, size: s.size, ino: s.ino };
    } catch {
      return; // Deleted from outside: the room keeps the document; a save recreates it.
    }
    if (this.stamp && sameStamp(this.stamp, current)) return;
    const bytes = await readFile(path, 'utf8');
    this.stamp = current;
    const hash = sha256(bytes);
    if (hash === this.diskHash) {
      // The file is what we last knew; remember it in our own form, so that an unchanged
      // notebook is never rewritten (and reformatted) just because it was opened, and as the
      // base the next outside edit is merged from (one parse for both).
      if (this.diskTextHash === undefined || this.base === undefined) {
        const notebook = readOrUndefined(bytes);
        if (notebook) {
          this.diskTextHash ??= sha256(serializeNotebook(notebook));
          this.base ??= baseOf(notebook);
        }
      }
      return;
    }
    let parsed: ReadNotebook;
    try {
      parsed = readNotebookJSON(JSON.parse(bytes));
    } catch (error) {
      this.options.log.warn(
        { fileId: this.options.fileId, reason: (error as Error).message },
        'the notebook file was changed outside Tandem and is not a valid notebook; keeping the open version',
      );
      await this.backup(path, 'invalid-outside-edit');
      this.diskHash = hash;
      return;
    }
    this.options.log.info({ fileId: this.options.fileId }, 'merging an outside edit of the notebook file');
    await this.options.beforeMerge?.().catch((error: unknown) => {
      // The merge goes ahead: refusing it would leave the file and the room apart for good.
      this.options.log.warn({ fileId: this.options.fileId, err: error }, 'could not keep a version before merging an outside edit');
    });
    // The other writer started from the copy last read or written here (with a bucket, one up
    // to a check interval old): only the cells they changed since are theirs, so edits made
    // here meanwhile to other cells stay.
    const incoming = this.base ? rebaseOutsideEdit(this.base, parsed.notebook, notebookFromDoc(this.options.doc)) : parsed.notebook;
    mergeNotebookIntoDoc(this.options.doc, incoming, FILE_ORIGIN);
    this.diskHash = hash;
    const merged = serializeNotebook(parsed.notebook);
    this.diskTextHash = sha256(merged);
    this.base = baseOf(parsed.notebook);
    await this.options.history.setSavedHash(hash);
  }

  private async save(): Promise<void> {
    const path = this.options.path();
    if (!path || this.stopped) return;
    // Merge first, so that an edit made outside is never overwritten unseen.
    await this.mergeOutsideEdit();
    const notebook = notebookFromDoc(this.options.doc);
    const text = serializeNotebook(notebook);
    const textHash = sha256(text);
    if (textHash === this.diskTextHash) return;
    const problem = schemaProblem(notebook);
    if (problem) {
      this.options.log.warn({ fileId: this.options.fileId, problem }, 'saving a notebook that does not match its schema');
    }
    const previous = await stat(path).catch(() => undefined);
    const shrinks = previous && previous.size > SHRINK_MIN_BYTES && text.length < previous.size * SHRINK_RATIO;
    const empties = previous && notebook.cells.length === 0 && previous.size > EMPTY_NOTEBOOK_BYTES;
    if (shrinks || empties) {
      await this.backup(path, 'before-shrink');
    }
    // In a cluster, only the notebook's owner may write it (throws once another took over).
    await this.options.history.checkFence?.();
    await writeFileAtomic(path, text);
    const written = await stat(path);
    this.stamp = { mtimeMs: written.mtimeMs, size: written.size, ino: written.ino };
    this.diskTextHash = textHash;
    this.diskHash = textHash;
    const refused = await this.writeThrough(path);
    if (!refused) this.base = baseOf(notebook);
    await this.options.history.setSavedHash(this.diskHash);
    if (refused) {
      // Another writer changed the file in the bucket since we read it: the local file is now
      // its version. Merge what it changed since the copy we last stored (the base, left as it
      // was), cell by cell, and write the merge (conditionally again).
      await this.mergeOutsideEdit();
      this.scheduleSave();
    }
  }

  /** Stores the saved file in the bucket, if there is one; answers true when the write was refused as stale. */
  private async writeThrough(path: string): Promise<boolean> {
    if (!this.options.mirror) return false;
    try {
      await this.options.mirror.written(path);
      return false;
    } catch (error) {
      if (isStaleWrite(error)) {
        this.options.log.warn({ fileId: this.options.fileId }, 'the notebook was changed in the bucket by another writer; merging it');
        return true;
      }
      // The document's history keeps every edit; the next save writes the file through again.
      this.options.log.warn({ fileId: this.options.fileId, err: error }, 'could not store the notebook file in the bucket');
      this.diskTextHash = undefined;
      return false;
    }
  }

  /** At most once per mirrorCheckMs: one HEAD, and the bucket's newer copy brought in if another tool wrote one. */
  private async checkMirror(path: string): Promise<void> {
    const every = this.options.mirrorCheckMs ?? 0;
    if (!this.options.mirror || every <= 0 || Date.now() - this.checkedMirrorAt < every) return;
    this.checkedMirrorAt = Date.now();
    await this.options.mirror.refresh(path).catch((error: unknown) => {
      this.options.log.warn({ fileId: this.options.fileId, err: error }, 'could not check the notebook file in the bucket');
    });
  }

  private async backup(path: string, why: string): Promise<void> {
    const dir = join(this.options.backupDir, this.options.fileId);
    await mkdir(dir, { recursive: true });
    const target = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${why}.ipynb`);
    await copyFile(path, target);
    this.options.log.warn({ fileId: this.options.fileId, backup: target }, 'kept the previous version of the notebook');
  }
}

function readOrUndefined(text: string): NotebookJSON | undefined {
  try {
    return readNotebookJSON(JSON.parse(text)).notebook;
  } catch {
    return undefined;
  }
}

function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.mtimeMs === b.mtimeMs && a.size === b.size && a.ino === b.ino;
}
