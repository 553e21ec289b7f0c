// The kernels of all notebooks: one per notebook, created on the first run (or ahead of it,
// when an editor opens the notebook and prestarting is on, or the notebook's own environment
// is already built), culled when idle, and shut down with the server. Each kernel runs in its
// notebook's environment, chosen afresh at every start and restart. A room whose kernel is
// alive stays loaded, so its state outlives the last tab closing.

import { dirname } from 'node:path';
import { KernelSession, type BridgeLogger } from '../../kernel-bridge';
import type { RootPaths } from '../contents/paths';
import type { EnvironmentService } from '../environments/environment-service';
import { NotebookEnvironment } from '../environments/notebook-environment';
import type { OpenRoom, RoomManager } from '../rooms/room-manager';
import type { FileIdIndex } from '../storage/file-ids';
import { kernelPythonPath } from '../queries/helper-path';
import { PYTHON_KERNEL_SETUP } from './kernel-setup';
import { NotebookKernel, type NotebookKernelOptions } from './notebook-kernel';
import type { OutputStore } from './output-store';
import type { OutputLimits } from './output-writer';

export interface KernelRegistryOptions {
  rooms: RoomManager;
  fileIds: FileIdIndex;
  paths: RootPaths;
  store: OutputStore;
  limits: OutputLimits;
  log: BridgeLogger & { child?: unknown };
  /** Environments (and the warm pool) that kernels start in. */
  environments: EnvironmentService;
  /** Shut a kernel down after this long without activity; 0 never. */
  cullIdleMs: number;
  /** Hooks every notebook's runs go through (SQL cells). */
  runHooks?: Pick<NotebookKernelOptions, 'prepareRun' | 'onRunFinished' | 'cancelRun'>;
}

const CULL_CHECK_MS = 15_000;

export class KernelRegistry {
  private readonly kernels = new Map<string, NotebookKernel>();
  private readonly environments = new Map<string, NotebookEnvironment>();
  private readonly cullTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: KernelRegistryOptions) {
    options.rooms.keepLoadedWhile((fileId) => {
      const kernel = this.kernels.get(fileId);
      return kernel !== undefined && (kernel.alive || kernel.busy);
    });
    options.rooms.onUnload(async (open) => {
      const kernel = this.kernels.get(open.room.fileId);
      this.kernels.delete(open.room.fileId);
      await kernel?.dispose();
      this.environments.get(open.room.fileId)?.dispose();
      this.environments.delete(open.room.fileId);
    });
    if (options.cullIdleMs > 0) {
      this.cullTimer = setInterval(() => void this.cull(), Math.min(CULL_CHECK_MS, options.cullIdleMs));
      this.cullTimer.unref();
    }
  }

  get count(): number {
    return [...this.kernels.values()].filter((k) => k.alive).length;
  }

  /** The notebook's kernel, loading its room if needed. */
  async forNotebook(fileId: string): Promise<NotebookKernel> {
    const open = await this.options.rooms.open(fileId);
    let kernel = this.kernels.get(fileId);
    if (!kernel) {
      kernel = new NotebookKernel({
        fileId,
        room: open.room,
        createSession: () => this.createSession(fileId, open),
        store: this.options.store,
        limits: this.options.limits,
        log: this.options.log,
        ...this.options.runHooks,
      });
      this.kernels.set(fileId, kernel);
    }
    return kernel;
  }

  get(fileId: string): NotebookKernel | undefined {
    return this.kernels.get(fileId);
  }

  /**
   * An editor opened the notebook: start its kernel ahead of the first run if `always`
   * (--kernel-prestart), or if the notebook has its own environment and it is already built.
   * Notebooks in the default environment need no prestart: they take a kernel from the warm pool.
   */
  async editorOpened(fileId: string, always: boolean): Promise<void> {
    if (this.kernels.get(fileId)?.alive) return;
    const open = await this.options.rooms.open(fileId);
    let prestart = always;
    try {
      prestart ||= await this.environmentOf(fileId, open).ownEnvironmentReady();
    } finally {
      if (!prestart) this.options.rooms.release(fileId);
    }
    if (prestart) await (await this.forNotebook(fileId)).prestart();
  }

  /** Called when a kernel may have stopped: an empty room can now unload. */
  released(fileId: string): void {
    this.options.rooms.release(fileId);
  }

  async shutdownAll(): Promise<void> {
    clearInterval(this.cullTimer);
    await Promise.all([...this.kernels.values()].map((kernel) => kernel.dispose()));
    this.kernels.clear();
  }

  private async createSession(fileId: string, open: OpenRoom): Promise<KernelSession> {
    const path = this.options.fileIds.pathOf(fileId);
    if (path === undefined) throw new Error('The notebook no longer exists');
    const absolute = this.options.paths.resolve(path).absolute;
    const environment = this.environmentOf(fileId, open);
    // The `tandem` helper package (SQL cells, progress bars) is importable in every kernel.
    const env = { PYTHONPATH: kernelPythonPath() };
    const spec = await environment.sessionSpec();
    const session = new KernelSession({
      spec,
      cwd: dirname(absolute),
      env,
      setupCode: spec.language === 'python' ? PYTHON_KERNEL_SETUP : undefined,
      runtime: environment.runtime,
      logger: this.options.log,
    });
    environment.followSession(() => session.status);
    session.on('status', ({ status }) => {
      if (status === 'shutdown' || status === 'dead') {
        environment.kernelStopped();
        this.released(fileId);
      }
    });
    return session;
  }

  private environmentOf(fileId: string, open: OpenRoom): NotebookEnvironment {
    let environment = this.environments.get(fileId);
    if (!environment) {
      environment = new NotebookEnvironment({
        room: open.room,
        service: this.options.environments,
        notebookDir: () => {
          const current = this.options.fileIds.pathOf(fileId);
          return dirname(this.options.paths.resolve(current ?? '').absolute);
        },
        log: this.options.log,
      });
      this.environments.set(fileId, environment);
    }
    return environment;
  }

  private async cull(): Promise<void> {
    const now = Date.now();
    for (const [fileId, kernel] of this.kernels) {
      if (!kernel.alive || kernel.busy || now - kernel.lastActivity < this.options.cullIdleMs) continue;
      const minutes = Math.round(this.options.cullIdleMs / 60_000);
      await kernel.shutdown(
        minutes >= 1 ? `Shut down after ${minutes} minute${minutes === 1 ? '' : 's'} without activity` : 'Shut down after a while without activity',
      );
      this.released(fileId);
    }
  }
}
