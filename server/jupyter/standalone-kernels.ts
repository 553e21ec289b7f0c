// Kernels started through the Jupyter kernel API with no notebook behind them (a console, or
// Jupyter Server in gateway mode): owned by the server owner, listed beside the notebooks'
// kernels, culled after the same idle time, and stopped with the server.

import { randomUUID } from 'node:crypto';
import type { UserRef } from '../../common/doc-schema';
import { type BridgeLogger, findKernelSpec, type KernelHandle } from '../../kernel-bridge';
import { forbidden, notFound } from '../errors';
import { openTandemKernel } from '../execution/kernel-setup';
import { KernelChannels } from './kernel-channels';

export class StandaloneKernel {
  readonly id = randomUUID();
  readonly channels: KernelChannels;
  /** Runs of its clients: run id -> who asked, so only they answer its input(). */
  private readonly runs = new Map<string, string>();
  /** What the last status change said, for people: why a dead kernel died. */
  statusMessage = '';

  constructor(
    readonly handle: KernelHandle,
    log: BridgeLogger & { debug(obj: object, msg?: string): void },
  ) {
    handle.on('runFinished', ({ runId }) => this.runs.delete(runId));
    handle.on('status', ({ message }) => {
      this.statusMessage = message;
    });
    this.channels = new KernelChannels(
      {
        handle: () => Promise.resolve(handle),
        execute: async (message, user, runId) => this.execute(message, user, runId),
        input: (runId, username, value) => {
          if (this.runs.get(runId) !== username) throw forbidden('Only the person who ran this code can answer its prompt');
          handle.sendInput(runId, value);
        },
        interrupt: () => handle.interrupt(),
        restart: () => handle.restart(),
        shutdown: () => handle.shutdown(),
      },
      log,
    );
  }

  private execute(message: Parameters<KernelHandle['send']>[1], user: UserRef, runId: string): void {
    const content = message.content as { code?: unknown; silent?: unknown; store_history?: unknown; stop_on_error?: unknown };
    this.runs.set(runId, user.username);
    this.handle.enqueue({
      runId,
      code: typeof content.code === 'string' ? content.code : '',
      username: user.username,
      silent: content.silent === true,
      storeHistory: content.store_history !== false,
      stopOnError: content.stop_on_error !== false,
      message: { ...message, header: { ...message.header, username: user.username } },
    });
  }
}

export interface StandaloneKernelsOptions {
  /** The server's root: standalone kernels run there. */
  root: string;
  defaultKernel: string;
  /** Shut a kernel down after this long without activity; 0 never. */
  cullIdleMs: number;
  log: BridgeLogger & { debug(obj: object, msg?: string): void };
}

const CULL_CHECK_MS = 15_000;

export class StandaloneKernels {
  private readonly kernels = new Map<string, StandaloneKernel>();
  private readonly cullTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: StandaloneKernelsOptions) {
    if (options.cullIdleMs > 0) {
      this.cullTimer = setInterval(() => void this.cull(), Math.min(CULL_CHECK_MS, options.cullIdleMs));
      this.cullTimer.unref();
    }
  }

  list(): StandaloneKernel[] {
    return [...this.kernels.values()];
  }

  get(id: string): StandaloneKernel | undefined {
    return this.kernels.get(id);
  }

  async start(name: string | undefined, env: Record<string, string>): Promise<StandaloneKernel> {
    const specName = name || this.options.defaultKernel;
    const spec = await findKernelSpec(specName);
    if (!spec) throw notFound(`No kernel named ${specName}`);
    const handle = openTandemKernel({
      spec,
      cwd: this.options.root,
      env,
      logger: this.options.log,
    });
    const kernel = new StandaloneKernel(handle, this.options.log);
    this.kernels.set(kernel.id, kernel);
    handle.on('status', ({ status }) => {
      if (status === 'shutdown') this.forget(kernel);
    });
    await handle.start();
    return kernel;
  }

  async shutdown(id: string): Promise<void> {
    const kernel = this.kernels.get(id);
    if (!kernel) throw notFound(`No kernel with id ${id}`);
    this.forget(kernel);
    await kernel.handle.shutdown();
    kernel.handle.removeAllListeners();
  }

  async closeAll(): Promise<void> {
    clearInterval(this.cullTimer);
    await Promise.all([...this.kernels.keys()].map((id) => this.shutdown(id)));
  }

  private forget(kernel: StandaloneKernel): void {
    if (this.kernels.get(kernel.id) !== kernel) return;
    this.kernels.delete(kernel.id);
    kernel.channels.dispose();
  }

  private async cull(): Promise<void> {
    const now = Date.now();
    for (const kernel of this.kernels.values()) {
      const { handle } = kernel;
      if (handle.status === 'busy' || now - handle.lastActivity < this.options.cullIdleMs) continue;
      await this.shutdown(kernel.id).catch(() => undefined);
    }
  }
}
