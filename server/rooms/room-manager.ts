// Loads, keeps and unloads rooms. A room is fully loaded from its history (or built from
// the .ipynb when there is none) before anyone can join it; concurrent opens share one
// load; an empty room stays for a grace period so a reconnect finds it warm.

import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as Y from 'yjs';
import { buildInitialUpdate } from '../notebook/notebook-doc';
import { InvalidNotebookError, readNotebookJSON } from '../notebook/validate';
import { badRequest, notFound } from '../http/errors';
import type { RootPaths } from '../contents/paths';
import type { DocHistory, DocStore } from '../storage/doc-store';
import type { FileIdIndex } from '../storage/file-ids';
import { CLOSE_GOING_AWAY, CLOSE_NOTEBOOK_DELETED, closeReason } from './connection';
import { NotebookFile } from './notebook-file';
import { Room, type RoomLogger } from './room';

export interface RoomManagerOptions {
  paths: RootPaths;
  fileIds: FileIdIndex;
  store: DocStore;
  stateDir: string;
  log: RoomLogger;
  /** How long an empty room stays loaded. */
  graceMs: number;
  saveDelayMs: number;
  saveMaxDelayMs: number;
  /** How often open notebooks are checked for edits made outside Tandem. */
  watchIntervalMs: number;
  /** Compact a room's log once it grows past this many bytes. */
  compactBytes: number;
}

export interface OpenRoom {
  room: Room;
  file: NotebookFile;
  history: DocHistory;
  sessionId: string;
}

interface Entry extends OpenRoom {
  grace: NodeJS.Timeout | undefined;
}

export class RoomManager {
  private readonly rooms = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();
  private readonly watcher: NodeJS.Timeout;
  private closing = false;
  /** Hooks run when a room is loaded and before it unloads (kernel sessions and the like). */
  private readonly loadHooks: ((open: OpenRoom) => void)[] = [];
  private readonly unloadHooks: ((open: OpenRoom) => Promise<void> | void)[] = [];
  /** Rooms that must stay loaded without connections (a kernel still holds state). */
  private keepLoaded: (fileId: string) => boolean = () => false;

  constructor(private readonly options: RoomManagerOptions) {
    this.watcher = setInterval(() => {
      for (const entry of this.rooms.values()) void entry.file.checkForOutsideEdit();
    }, options.watchIntervalMs);
    this.watcher.unref();
  }

  onLoad(hook: (open: OpenRoom) => void): void {
    this.loadHooks.push(hook);
  }

  onUnload(hook: (open: OpenRoom) => Promise<void> | void): void {
    this.unloadHooks.push(hook);
  }

  /** Rooms for which `keep` is true are not unloaded when empty; call release() when it changes. */
  keepLoadedWhile(keep: (fileId: string) => boolean): void {
    this.keepLoaded = keep;
  }

  get size(): number {
    return this.rooms.size;
  }

  /** The loaded room, if any (does not load). */
  get(fileId: string): OpenRoom | undefined {
    return this.rooms.get(fileId);
  }

  /** Loads the room if needed. Throws HttpError for unknown or invalid notebooks. */
  async open(fileId: string): Promise<OpenRoom> {
    if (this.closing) throw notFound('The server is shutting down');
    const loaded = this.rooms.get(fileId);
    if (loaded) {
      this.keep(loaded);
      return loaded;
    }
    let pending = this.loading.get(fileId);
    if (!pending) {
      pending = this.load(fileId).finally(() => this.loading.delete(fileId));
      this.loading.set(fileId, pending);
    }
    const entry = await pending;
    this.keep(entry);
    return entry;
  }

  /** Tells a loaded room where its file now is (`state.path`, as jupyter-collaboration has it). */
  pathChanged(fileId: string): void {
    const entry = this.rooms.get(fileId);
    const path = this.options.fileIds.pathOf(fileId);
    if (!entry || path === undefined) return;
    const state = entry.room.doc.getMap('state');
    if (state.get('path') !== path) entry.room.transact(() => state.set('path', path));
  }

  /** Called when a connection leaves; an empty room unloads after the grace period. */
  release(fileId: string): void {
    const entry = this.rooms.get(fileId);
    if (!entry || entry.room.size > 0 || entry.grace || this.keepLoaded(fileId)) return;
    entry.grace = setTimeout(() => {
      entry.grace = undefined;
      if (entry.room.size === 0 && !this.keepLoaded(fileId)) void this.unload(fileId);
    }, this.options.graceMs);
  }

  /** Saves and unloads a room, closing its connections. */
  async unload(fileId: string, closeReason = 'the notebook was closed on the server'): Promise<void> {
    const entry = this.rooms.get(fileId);
    if (!entry) return;
    this.rooms.delete(fileId);
    clearTimeout(entry.grace);
    entry.room.closeAll(CLOSE_GOING_AWAY, closeReason);
    for (const hook of this.unloadHooks) {
      try {
        await hook(entry);
      } catch (error) {
        this.options.log.error({ fileId, err: error }, 'an unload hook failed');
      }
    }
    await entry.file.stop();
    await entry.history.compact(() => Y.encodeStateAsUpdate(entry.room.doc)).catch((error: unknown) => {
      this.options.log.error({ fileId, err: error }, 'could not compact the history; the log keeps everything');
    });
    await entry.history.close();
    entry.room.destroy();
  }

  /** A deleted notebook: close its room and forget its history. */
  async forget(fileId: string): Promise<void> {
    const entry = this.rooms.get(fileId);
    if (entry) {
      this.rooms.delete(fileId);
      clearTimeout(entry.grace);
      entry.room.closeAll(CLOSE_NOTEBOOK_DELETED, closeReason('deleted', 'This notebook was deleted.'));
      for (const hook of this.unloadHooks) await Promise.resolve(hook(entry)).catch(() => {});
      await entry.history.close();
      entry.room.destroy();
    }
    this.options.store.remove(fileId);
  }

  /** Saves every open notebook, then unloads them all (server shutdown). */
  async closeAll(): Promise<void> {
    this.closing = true;
    clearInterval(this.watcher);
    await Promise.allSettled([...this.loading.values()]);
    await Promise.all([...this.rooms.keys()].map((fileId) => this.unload(fileId, 'the server is shutting down')));
  }

  /** Saves every open notebook now. */
  async flushAll(): Promise<void> {
    await Promise.all([...this.rooms.values()].map((entry) => entry.file.flush()));
  }

  private keep(entry: Entry): void {
    clearTimeout(entry.grace);
    entry.grace = undefined;
  }

  private async load(fileId: string): Promise<Entry> {
    const apiPath = this.options.fileIds.pathOf(fileId);
    if (apiPath === undefined) throw notFound(`No notebook with file id ${fileId}`);
    const absolutePath = (): string | undefined => {
      const current = this.options.fileIds.pathOf(fileId);
      return current === undefined ? undefined : this.options.paths.resolve(current).absolute;
    };
    const doc = new Y.Doc({ gc: true });
    const stored = this.options.store.load(fileId);
    let history: DocHistory;
    if (stored) {
      doc.transact(() => {
        for (const update of stored.updates) Y.applyUpdate(doc, update);
      });
      if (stored.tornBytes) {
        this.options.log.warn({ fileId, tornBytes: stored.tornBytes }, 'cut a torn record from the update log');
      }
      history = stored.history;
    } else {
      history = await this.rebuild(fileId, absolutePath() ?? '', doc);
    }
    const log = this.options.log;
    const file = new NotebookFile({
      fileId,
      doc,
      history,
      path: absolutePath,
      backupDir: join(this.options.stateDir, 'backups'),
      log,
      saveDelayMs: this.options.saveDelayMs,
      saveMaxDelayMs: this.options.saveMaxDelayMs,
    });
    const room = new Room({
      fileId,
      doc,
      log,
      append: (update) => history.append(update),
      onChange: () => {
        file.scheduleSave();
        if (history.logBytes > this.options.compactBytes) {
          history.compact(() => Y.encodeStateAsUpdate(doc)).catch((error: unknown) => {
            log.error({ fileId, err: error }, 'background compaction failed; the log keeps everything');
          });
        }
      },
      onEmpty: () => this.release(fileId),
      onFailure: () => void this.unload(fileId),
    });
    const entry: Entry = { room, file, history, sessionId: history.sessionId, grace: undefined };
    // Edits made to the file while the server was down are merged before anyone joins.
    await file.checkForOutsideEdit();
    this.rooms.set(fileId, entry);
    this.pathChanged(fileId);
    file.scheduleSave();
    for (const hook of this.loadHooks) hook(entry);
    log.info({ fileId, path: apiPath }, 'room loaded');
    return entry;
  }

  /**
   * Builds the history from the .ipynb: deterministically, under a new sessionId, so that
   * clients holding the old lineage are told to reload instead of merging into duplicates.
   */
  private async rebuild(fileId: string, absolutePath: string, doc: Y.Doc): Promise<DocHistory> {
    let text: string;
    try {
      text = await readFile(absolutePath, 'utf8');
    } catch {
      throw notFound('The notebook file does not exist');
    }
    let notebook;
    try {
      const read = readNotebookJSON(JSON.parse(text));
      for (const warning of read.warnings) this.options.log.warn({ fileId, warning }, 'notebook bends the nbformat schema');
      notebook = read.notebook;
    } catch (error) {
      if (error instanceof InvalidNotebookError) throw badRequest(error.message, 'invalid_notebook');
      throw badRequest('The notebook file is not valid JSON', 'invalid_notebook');
    }
    const initial = buildInitialUpdate(notebook);
    Y.applyUpdate(doc, initial);
    return this.options.store.create(
      {
        fileId,
        sessionId: randomUUID(),
        createdAt: new Date().toISOString(),
        savedHash: createHash('sha256').update(text).digest('hex'),
      },
      initial,
    );
  }
}
