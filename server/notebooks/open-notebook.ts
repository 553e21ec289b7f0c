// One loaded notebook and everything the server holds for it while it is open: its room (the
// document and who is connected), the binding to its .ipynb, its history in storage, its
// kernel with the run queue, its environment, and what extensions (SQL cells) attach to it.
// OpenNotebooks loads and unloads these; nothing else keeps state per notebook.

import { dirname } from 'node:path';
import * as Y from 'yjs';
import { STORAGE_MAP, type StoragePause } from '../../common/doc-schema';
import type { BridgeLogger, KernelHandle } from '../../kernel-bridge';
import type { EnvironmentService } from '../environments/environment-service';
import { NotebookEnvironment } from '../environments/notebook-environment';
import { unavailable } from '../errors';
import { openTandemKernel } from '../execution/kernel-setup';
import { NotebookKernel } from '../execution/notebook-kernel';
import type { OutputStore } from '../execution/output-store';
import type { OutputLimits } from '../execution/output-writer';
import type { QueuedRun, RunPlan } from '../execution/run-records';
import { NotebookFile } from '../rooms/notebook-file';
import { Room, type RoomLogger, type RoomOptions } from '../rooms/room';
import type { DocHistory } from '../storage/doc-storage';
import type { FileMirror } from '../storage/file-mirror';
import { KernelStateWriter } from './kernel-state';
import type { NotebookExtension, NotebookListener } from './notebook-extension';

/** What every open notebook shares: the server's services and settings. */
export interface NotebookServices {
  environments: EnvironmentService;
  outputs: OutputStore;
  limits: OutputLimits;
  extensions: readonly NotebookExtension[];
  log: RoomLogger & BridgeLogger;
  backupDir: string;
  saveDelayMs: number;
  saveMaxDelayMs: number;
  /** Compact the history once its log grows past this many bytes. */
  compactBytes: number;
  /** Why a kernel the document still shows is gone, when this server did not start it. */
  lostKernel?: string;
  /** Where the .ipynb files are kept beyond this machine (a bucket), if anywhere. */
  files?: FileMirror;
  /** How often an open notebook's file is checked there for outside changes; 0 never. */
  fileCheckMs?: number;
}

/** What the notebook tells whoever keeps it loaded. */
export interface NotebookEvents {
  /** Nobody is connected and no kernel holds state: it may unload. */
  idle(): void;
  /** It can no longer store its updates (or, in a cluster, lost its lease), and must unload now. */
  failed(error: unknown): void;
}

export interface NotebookParts {
  fileId: string;
  doc: Y.Doc;
  history: DocHistory;
  /** The .ipynb's current absolute path (it follows renames); undefined once it is gone. */
  path(): string | undefined;
  /** Cluster mode: the room of a replica that relayed the notebook and now owns it; its clients stay. */
  room?: Room;
  /** Cluster mode: presence of this replica's clients, for the other replicas. */
  onLocalPresence?(update: Uint8Array): void;
}

export class OpenNotebook {
  readonly fileId: string;
  readonly room: Room;
  readonly file: NotebookFile;
  readonly history: DocHistory;
  /** The one writer of the `kernel` map, for the kernel session and the environment both. */
  readonly kernelState: KernelStateWriter;
  private readonly listeners = new Map<NotebookExtension, NotebookListener>();
  private notebookKernel: NotebookKernel | undefined;
  private notebookEnvironment: NotebookEnvironment | undefined;
  private unloaded = false;

  constructor(
    private readonly parts: NotebookParts,
    private readonly services: NotebookServices,
    private readonly events: NotebookEvents,
  ) {
    const { fileId, doc, history } = parts;
    this.fileId = fileId;
    this.history = history;
    const log = services.log;
    this.file = new NotebookFile({
      fileId,
      doc,
      history,
      path: parts.path,
      backupDir: services.backupDir,
      log,
      saveDelayMs: services.saveDelayMs,
      saveMaxDelayMs: services.saveMaxDelayMs,
      beforeMerge: () => this.beforeOutsideEdit(),
      mirror: services.files,
      mirrorCheckMs: services.fileCheckMs,
    });
    const roomOptions: RoomOptions = {
      fileId,
      doc,
      log,
      onLocalPresence: parts.onLocalPresence,
      append: (update, source) => history.append(update, source),
      onChange: () => {
        this.file.scheduleSave();
        if (history.logBytes > services.compactBytes) {
          history
            .compact(() => Y.encodeStateAsUpdate(doc))
            .catch((error: unknown) => {
              log.error({ fileId, err: error }, 'background compaction failed; the log keeps everything');
            });
        }
      },
      onClientChange: (connection) => {
        for (const listener of this.listeners.values()) listener.edited?.(connection.identity);
      },
      onEmpty: () => this.events.idle(),
      onFailure: (error) => this.events.failed(error),
    };
    if (parts.room) parts.room.rebind(roomOptions);
    this.room = parts.room ?? new Room(roomOptions);
    this.kernelState = new KernelStateWriter(this.room);
    // A pause the document still shows is from before this load: the history was just read.
    if (history.onReachability && doc.getMap(STORAGE_MAP).has('paused')) this.storageReachable(true);
    history.onReachability?.((reachable) => this.storageReachable(reachable));
    for (const extension of services.extensions) this.listeners.set(extension, extension.attach(this));
  }

  get sessionId(): string {
    return this.history.sessionId;
  }

  /** True while the kernel runs or has work queued: the notebook must stay loaded without anyone connected. */
  get holdsState(): boolean {
    const kernel = this.notebookKernel;
    return kernel !== undefined && (kernel.alive || kernel.busy);
  }

  /** The notebook's own state in one extension. */
  listener<T extends NotebookListener>(extension: NotebookExtension<T>): T {
    const listener = this.listeners.get(extension);
    if (!listener) throw new Error('that extension is not installed on this server');
    return listener as T;
  }

  /** The notebook's kernel (its session starts with the first run, or a prestart). */
  kernel(): NotebookKernel {
    if (this.unloaded) throw unavailable('The notebook is closing; open it again');
    this.notebookKernel ??= new NotebookKernel({
      fileId: this.fileId,
      room: this.room,
      kernelState: this.kernelState,
      createSession: () => this.createSession(),
      store: this.services.outputs,
      limits: this.services.limits,
      log: this.services.log,
      planRun: (run) => this.planRun(run),
      lostKernel: this.services.lostKernel,
      resumeRuns: this.services.environments.runtime.reattaches === true,
    });
    return this.notebookKernel;
  }

  /** The kernel, only if one was ever asked for while the notebook is loaded. */
  existingKernel(): NotebookKernel | undefined {
    return this.notebookKernel;
  }

  environment(): NotebookEnvironment {
    this.notebookEnvironment ??= new NotebookEnvironment({
      room: this.room,
      kernelState: this.kernelState,
      service: this.services.environments,
      notebookDir: () => dirname(this.parts.path() ?? ''),
      log: this.services.log,
    });
    return this.notebookEnvironment;
  }

  /**
   * An editor opened the notebook: start its kernel ahead of the first run if `always`
   * (--kernel-prestart), or if the notebook has its own environment and it is already built.
   * Notebooks in the default environment need no prestart: they take a kernel from the warm pool.
   */
  async editorOpened(always: boolean): Promise<void> {
    if (this.notebookKernel?.alive) return;
    if (always || (await this.environment().ownEnvironmentReady())) await this.kernel().prestart();
  }

  /** An edit made outside the room is about to be merged into it: extensions keep what it replaces. */
  async beforeOutsideEdit(): Promise<void> {
    for (const listener of this.listeners.values()) await listener.beforeOutsideEdit?.();
  }

  /** Stops the kernel and every listener; the caller then saves and closes the history. */
  async unload(): Promise<void> {
    this.unloaded = true;
    for (const listener of this.listeners.values()) {
      try {
        await listener.unload?.();
      } catch (error) {
        this.services.log.error({ fileId: this.fileId, err: error }, 'an extension failed to unload');
      }
    }
    await this.notebookKernel?.dispose();
    this.kernelState.close();
    this.notebookEnvironment?.dispose();
  }

  /** Says in the document, for everyone, while saving to the storage is paused. */
  private storageReachable(reachable: boolean): void {
    if (this.unloaded) return;
    const storage = this.room.doc.getMap(STORAGE_MAP);
    this.room.transact(() => {
      if (reachable) storage.delete('paused');
      else {
        const pause: StoragePause = {
          since: Date.now(),
          message: 'Saving paused: storage unreachable. Edits are kept on the server and saved when it is back.',
        };
        storage.set('paused', pause);
      }
    });
  }

  private async planRun(run: QueuedRun): Promise<RunPlan | undefined> {
    for (const listener of this.listeners.values()) {
      const plan = await listener.planRun?.(run);
      if (plan) return plan;
    }
    return undefined;
  }

  private async createSession(): Promise<KernelHandle> {
    const path = this.parts.path();
    if (path === undefined) throw new Error('The notebook no longer exists');
    const environment = this.environment();
    const spec = await environment.sessionSpec();
    const session = openTandemKernel({
      spec,
      cwd: dirname(path),
      runtime: environment.runtime,
      logger: this.services.log,
    });
    environment.followSession(() => session.status);
    session.on('status', ({ status }) => {
      for (const listener of this.listeners.values()) listener.kernelStatus?.(status);
      if (status === 'shutdown' || status === 'dead') {
        environment.kernelStopped();
        // Nothing holds the notebook now: with nobody connected it may unload.
        if (this.room.size === 0) this.events.idle();
      }
    });
    return session;
  }
}
