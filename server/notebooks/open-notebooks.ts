// The open notebooks of this server, by fileId: the one registry of per-notebook state. A
// notebook is fully loaded from its history (or built from the .ipynb when there is none)
// before anyone can join it; concurrent opens share one load. Whoever opens one releases it
// when done; a notebook with nobody connected and no kernel holding state unloads after a
// grace period, so a reconnect finds it warm.

import { join } from 'node:path';
import * as Y from 'yjs';
import type { RootPaths } from '../contents/paths';
import { notFound, TandemError, unavailable } from '../errors';
import { CLOSE_GOING_AWAY, CLOSE_NOTEBOOK_DELETED, closeReason } from '../rooms/connection';
import type { Room } from '../rooms/room';
import type { DocHistory, DocStorage } from '../storage/doc-storage';
import type { FileIdIndex } from '../storage/file-ids';
import { loadDocument } from './load-document';
import { type NotebookServices, OpenNotebook } from './open-notebook';

/**
 * Cluster mode (cluster/cluster.ts): a notebook is loaded here only by the replica that holds
 * its lease, from the cluster's shared log, and its room follows that log.
 */
export interface NotebookOwnership {
  /** Takes the lease and loads the document as its owner; undefined when another replica owns it. */
  claim(fileId: string, absolutePath: string): Promise<OwnedDocument | undefined>;
  /** A deleted notebook: drop its log and snapshots. */
  forget(fileId: string): Promise<void>;
}

export interface OwnedDocument {
  doc: Y.Doc;
  history: DocHistory;
  /** The room that relayed the notebook on this replica, adopted with its connections. */
  room?: Room;
  onLocalPresence(update: Uint8Array): void;
  /** The room is ready: follow the log and other replicas' presence. */
  attach(room: Room): void;
  /** The notebook is unloaded: stop following, and give the lease up (or just forget one that was lost). */
  detach(release: boolean): Promise<void>;
}

export interface OpenNotebooksOptions {
  paths: RootPaths;
  fileIds: FileIdIndex;
  storage: DocStorage;
  stateDir: string;
  services: Omit<NotebookServices, 'backupDir'>;
  /** How long an idle notebook stays loaded. */
  graceMs: number;
  /** How often open notebooks are checked for edits made outside Tandem. */
  watchIntervalMs: number;
  /** Shut a kernel down after this long without activity; 0 never. */
  cullIdleMs: number;
  /** Cluster mode: who owns each notebook. */
  ownership?: NotebookOwnership;
}

interface Entry {
  notebook: OpenNotebook;
  grace: NodeJS.Timeout | undefined;
  owned: OwnedDocument | undefined;
}

const CULL_CHECK_MS = 15_000;
/** How long a cluster replica on its way out lets a running cell finish before handing its notebook over. */
const HANDOVER_WAIT_MS = 20_000;

export class OpenNotebooks {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();
  private readonly watcher: NodeJS.Timeout;
  private readonly cullTimer: NodeJS.Timeout | undefined;
  private readonly services: NotebookServices;
  private closing = false;

  constructor(private readonly options: OpenNotebooksOptions) {
    this.services = { ...options.services, backupDir: join(options.stateDir, 'backups') };
    this.watcher = setInterval(() => {
      for (const [fileId, { notebook }] of this.entries) {
        void notebook.file.checkForOutsideEdit();
        // A rename made elsewhere (another replica of a cluster) shows here within one check.
        this.pathChanged(fileId);
      }
    }, options.watchIntervalMs);
    this.watcher.unref();
    if (options.cullIdleMs > 0) {
      this.cullTimer = setInterval(() => void this.cullIdleKernels(), Math.min(CULL_CHECK_MS, options.cullIdleMs));
      this.cullTimer.unref();
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** How many notebooks have a kernel running. */
  get kernelCount(): number {
    return [...this.entries.values()].filter(({ notebook }) => notebook.existingKernel()?.alive).length;
  }

  /** The loaded notebook, if any (does not load). */
  get(fileId: string): OpenNotebook | undefined {
    return this.entries.get(fileId)?.notebook;
  }

  /** The loaded notebooks (does not load any). */
  loaded(): OpenNotebook[] {
    return [...this.entries.values()].map(({ notebook }) => notebook);
  }

  /** Loads the notebook if needed; the caller calls release() when it no longer needs it. */
  async open(fileId: string): Promise<OpenNotebook> {
    if (this.closing) throw unavailable('The server is shutting down');
    const loaded = this.entries.get(fileId);
    if (loaded) {
      this.keep(loaded);
      return loaded.notebook;
    }
    let pending = this.loading.get(fileId);
    if (!pending) {
      pending = this.load(fileId).finally(() => this.loading.delete(fileId));
      this.loading.set(fileId, pending);
    }
    const entry = await pending;
    this.keep(entry);
    return entry.notebook;
  }

  /** Opens the notebook for the length of `use`, then releases it. */
  async with<T>(fileId: string, use: (notebook: OpenNotebook) => Promise<T> | T): Promise<T> {
    const notebook = await this.open(fileId);
    try {
      return await use(notebook);
    } finally {
      this.release(fileId);
    }
  }

  /** Tells a loaded notebook where its file now is (`state.path`, as jupyter-collaboration has it). */
  pathChanged(fileId: string): void {
    const entry = this.entries.get(fileId);
    const path = this.options.fileIds.pathOf(fileId);
    if (!entry || path === undefined) return;
    const state = entry.notebook.room.doc.getMap('state');
    if (state.get('path') !== path) entry.notebook.room.transact(() => state.set('path', path));
  }

  /** Nothing needs the notebook now but maybe its connections: unload after the grace period once idle. */
  release(fileId: string): void {
    const entry = this.entries.get(fileId);
    if (!entry || entry.grace || !this.isIdle(entry)) return;
    entry.grace = setTimeout(() => {
      entry.grace = undefined;
      if (this.isIdle(entry)) void this.unload(fileId);
    }, this.options.graceMs);
  }

  /** Saves and unloads a notebook, closing its connections. */
  async unload(fileId: string, reason = 'the notebook was closed on the server'): Promise<void> {
    const entry = this.entries.get(fileId);
    if (!entry) return;
    this.entries.delete(fileId);
    clearTimeout(entry.grace);
    const { notebook } = entry;
    notebook.room.closeAll(CLOSE_GOING_AWAY, reason);
    await notebook.unload();
    await notebook.file.stop();
    await notebook.history
      .compact(() => Y.encodeStateAsUpdate(notebook.room.doc))
      .catch((error: unknown) => {
        this.options.services.log.error({ fileId, err: error }, 'could not compact the history; the log keeps everything');
      });
    // The server's last changes (the kernel's shutdown) go into the log before it closes.
    notebook.room.flush();
    await notebook.history.close();
    notebook.room.destroy();
    await entry.owned?.detach(true);
  }

  /**
   * Another replica took the notebook over while this one was cut off (cluster mode): drop it
   * at once, writing nothing. Its kernel goes with it; clients reconnect to the new owner.
   */
  async fenced(fileId: string): Promise<void> {
    const entry = this.entries.get(fileId);
    if (!entry) return;
    this.entries.delete(fileId);
    clearTimeout(entry.grace);
    const { notebook } = entry;
    this.options.services.log.warn({ fileId }, 'another replica took this notebook over; dropping it here');
    notebook.kernelState.close();
    notebook.room.stop();
    notebook.room.closeAll(CLOSE_GOING_AWAY, 'another server took this notebook over; reconnecting');
    await notebook.file.stop();
    await notebook.unload();
    await notebook.history.close();
    notebook.room.destroy();
    await entry.owned?.detach(false);
  }

  /** A deleted notebook: close it and forget its history and stored outputs. */
  async forget(fileId: string): Promise<void> {
    const entry = this.entries.get(fileId);
    if (entry) {
      this.entries.delete(fileId);
      clearTimeout(entry.grace);
      const { notebook } = entry;
      notebook.room.closeAll(CLOSE_NOTEBOOK_DELETED, closeReason('deleted', 'This notebook was deleted.'));
      await notebook.unload();
      notebook.room.flush();
      await notebook.history.close();
      notebook.room.destroy();
      await entry.owned?.detach(true);
    }
    await this.options.storage.remove(fileId);
    await this.options.ownership?.forget(fileId);
    this.services.outputs.forget(fileId);
    for (const extension of this.services.extensions) {
      await extension.forget?.(fileId).catch((error: unknown) => {
        this.options.services.log.warn({ fileId, err: error }, 'an extension could not forget a deleted notebook');
      });
    }
  }

  /** Saves every open notebook, then unloads them all (server shutdown). */
  async closeAll(): Promise<void> {
    this.closing = true;
    clearInterval(this.watcher);
    clearInterval(this.cullTimer);
    await Promise.allSettled([...this.loading.values()]);
    if (this.options.ownership) {
      // Scale-in: another replica takes each notebook over; runs still queued run there.
      await Promise.all(
        this.loaded().map((notebook) => notebook.existingKernel()?.handOver(HANDOVER_WAIT_MS, 'This server stopped; the notebook moved to another one')),
      );
    }
    await Promise.all([...this.entries.keys()].map((fileId) => this.unload(fileId, 'the server is shutting down')));
    await Promise.all(this.services.extensions.map((extension) => extension.dispose?.()));
  }

  /** Saves every open notebook now. */
  async flushAll(): Promise<void> {
    await Promise.all([...this.entries.values()].map(({ notebook }) => notebook.file.flush()));
  }

  private isIdle(entry: Entry): boolean {
    return entry.notebook.room.size === 0 && !entry.notebook.holdsState;
  }

  private keep(entry: Entry): void {
    clearTimeout(entry.grace);
    entry.grace = undefined;
  }

  private async load(fileId: string): Promise<Entry> {
    const apiPath = this.options.fileIds.pathOf(fileId);
    if (apiPath === undefined) throw notFound(`No notebook with file id ${fileId}`);
    const path = (): string | undefined => {
      const current = this.options.fileIds.pathOf(fileId);
      return current === undefined ? undefined : this.options.paths.resolve(current).absolute;
    };
    const log = this.options.services.log;
    const { ownership } = this.options;
    const owned = ownership ? await ownership.claim(fileId, path() ?? '') : undefined;
    if (ownership && !owned) throw new TandemError('unavailable', 'Another server of the cluster runs this notebook; try again', 'not_owner');
    const { doc, history } = owned ?? (await loadDocument(fileId, path() ?? '', this.options.storage, log));
    const notebook = new OpenNotebook({ fileId, doc, history, path, room: owned?.room, onLocalPresence: owned?.onLocalPresence }, this.services, {
      idle: () => this.release(fileId),
      // A write refused for a lost lease means another replica owns it now: drop it, writing nothing.
      failed: (error) => void (error instanceof TandemError && error.reason === 'fenced' ? this.fenced(fileId) : this.unload(fileId)),
    });
    const entry: Entry = { notebook, grace: undefined, owned };
    try {
      owned?.attach(notebook.room);
      // A kernel the document still shows ran on a replica that is gone: say so, and fail its runs.
      // Runs a replica handed over on its way out are queued here.
      const kernelState = notebook.kernelState;
      if (owned && !kernelState.isEmpty && (kernelState.get('status') !== 'shutdown' || kernelState.get('handedOver'))) notebook.kernel();
      // Edits made to the file while the server was down are merged before anyone joins.
      await notebook.file.checkForOutsideEdit();
    } catch (error) {
      await owned?.detach(true);
      throw error;
    }
    this.entries.set(fileId, entry);
    this.pathChanged(fileId);
    notebook.file.scheduleSave();
    log.info({ fileId, path: apiPath }, 'notebook loaded');
    return entry;
  }

  private async cullIdleKernels(): Promise<void> {
    const now = Date.now();
    const idleMs = this.options.cullIdleMs;
    const minutes = Math.round(idleMs / 60_000);
    const message = minutes >= 1 ? `Shut down after ${minutes} minute${minutes === 1 ? '' : 's'} without activity` : 'Shut down after a while without activity';
    for (const [fileId, { notebook }] of this.entries) {
      const kernel = notebook.existingKernel();
      if (!kernel?.alive || kernel.busy || now - kernel.lastActivity < idleMs) continue;
      await kernel.shutdown(message);
      this.release(fileId);
    }
  }
}
