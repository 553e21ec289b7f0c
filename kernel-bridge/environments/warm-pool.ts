// Kernels of the default environment, started ahead of time so that a notebook's first run
// does not wait for Python to start. A pooled kernel is ready (it has answered kernel_info) and
// waits in an empty folder. A notebook claims one, which is personalised and handed over for
// good: it is never returned. The pool refills in the background, one kernel at a time so it
// never competes much with the kernels people are waiting for.

import { mkdir } from 'node:fs/promises';
import type { KernelConnection } from '../client/kernel-connection';
import type { KernelSpec } from '../kernelspec/kernelspec';
import { type BridgeLogger, describeError, silentLogger } from '../logger';
import type { KernelRuntime, LaunchedKernel, LaunchRequest } from '../runtimes/runtime';
import { startIncarnation } from '../session/kernel-incarnation';
import { type Personalisation, personalise } from './personalise';

export interface PoolTarget {
  /** What claims match on: the environment's id, or for one image run by every kernel, that image (poolKey). */
  key: string;
  spec: KernelSpec;
  /** More of the launch: the image pooled kernels run, the environment to label them with. */
  launch?: Pick<LaunchRequest, 'image' | 'environmentId'>;
}

/** How a claimed kernel becomes the notebook's, beyond its personalisation (see KernelRuntime.warmClaim). */
export interface ClaimOptions {
  /** Where pooled kernels wait as the kernel sees paths; the pool's idle folder by default. */
  poolCwd?: string;
  adopt?(kernel: LaunchedKernel): Promise<void>;
}

export interface WarmPoolOptions {
  size: number;
  runtime: KernelRuntime;
  /**
   * The environment pooled kernels run in, built if needed. Asked before each start, so a
   * changed default (a new helper package, say) retires the kernels of the old one.
   */
  target(): Promise<PoolTarget>;
  /** An empty folder where pooled kernels wait before they know their notebook. */
  idleCwd: string;
  logger?: BridgeLogger;
  /** Default 60 s. */
  startTimeoutMs?: number;
  /** Default 10 s. */
  claimTimeoutMs?: number;
}

interface Pooled {
  kernel: LaunchedKernel;
  connection: KernelConnection;
  key: string;
  claimed: boolean;
}

export interface PoolStatus {
  size: number;
  ready: number;
  environmentId: string | undefined;
}

const MAX_FAILURES = 3;
const RETRY_AFTER_FAILURES_MS = 60_000;

export class WarmPool {
  private readonly ready: Pooled[] = [];
  private readonly logger: BridgeLogger;
  private filling: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;
  private environmentId: string | undefined;
  private readonly starting = new AbortController();

  constructor(private readonly options: WarmPoolOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  /** Begins filling the pool in the background. */
  start(): void {
    this.fill();
  }

  status(): PoolStatus {
    return { size: this.options.size, ready: this.ready.length, environmentId: this.environmentId };
  }

  /**
   * A ready kernel of that environment, personalised for the notebook, or undefined if there
   * is none (the caller starts one itself). Never rejects.
   */
  async claim(key: string, target: Personalisation, options: ClaimOptions = {}): Promise<LaunchedKernel | undefined> {
    const index = this.ready.findIndex((pooled) => pooled.key === key);
    if (index === -1) {
      // The default environment may have changed (a new helper package): replace what is pooled.
      if (this.ready.length) this.fill(true);
      return undefined;
    }
    const [pooled] = this.ready.splice(index, 1);
    pooled.claimed = true;
    this.fill();
    try {
      await options.adopt?.(pooled.kernel);
      await personalise(pooled.connection, target, options.poolCwd ?? this.options.idleCwd, this.options.claimTimeoutMs ?? 10_000);
      this.logger.info({ kernel: pooled.kernel.id, environment: key }, 'took a kernel from the warm pool');
      return pooled.kernel;
    } catch (error) {
      this.logger.warn({ kernel: pooled.kernel.id, error: describeError(error) }, 'a pooled kernel could not be handed over; starting a new one');
      await pooled.kernel.kill();
      return undefined;
    } finally {
      // The notebook's session connects on its own; the pool's sockets are done with.
      pooled.connection.close();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.starting.abort(new Error('the warm pool is closing'));
    await this.filling;
    const left = this.ready.splice(0);
    await Promise.all(left.map((pooled) => this.discard(pooled)));
  }

  /** Starts filling in the background; `recheck` asks for the target even when the pool is full. */
  private fill(recheck = false): void {
    if (this.closed || this.filling || this.retryTimer || (!recheck && this.ready.length >= this.options.size)) return;
    this.filling = this.fillUp().finally(() => {
      this.filling = undefined;
    });
  }

  private async fillUp(): Promise<void> {
    while (!this.closed) {
      try {
        const target = await this.options.target();
        this.environmentId = target.key;
        const stale = this.ready.filter((pooled) => pooled.key !== target.key);
        for (const pooled of stale) {
          this.ready.splice(this.ready.indexOf(pooled), 1);
          void this.discard(pooled);
        }
        if (this.closed || this.ready.length >= this.options.size) return;
        const pooled = await this.startOne(target);
        if (this.closed) {
          await this.discard(pooled);
          return;
        }
        this.ready.push(pooled);
        this.failures = 0;
      } catch (error) {
        if (this.closed) return;
        this.failures += 1;
        this.logger.warn({ error: describeError(error), failures: this.failures }, 'could not start a kernel for the warm pool');
        if (this.failures >= MAX_FAILURES) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.failures = 0;
            this.fill();
          }, RETRY_AFTER_FAILURES_MS);
          this.retryTimer.unref();
          return;
        }
      }
    }
  }

  private async startOne(target: PoolTarget): Promise<Pooled> {
    await mkdir(this.options.idleCwd, { recursive: true });
    const incarnation = await startIncarnation({
      runtime: this.options.runtime,
      request: { spec: target.spec, cwd: this.options.idleCwd, warm: true, ...target.launch },
      connection: { logger: this.logger, username: 'tandem', heartbeatIntervalMs: 1000, heartbeatMaxMisses: 3 },
      logger: this.logger,
      startTimeoutMs: this.options.startTimeoutMs ?? 60_000,
      signal: this.starting.signal,
    });
    const pooled: Pooled = { kernel: incarnation.kernel, connection: incarnation.connection, key: target.key, claimed: false };
    void incarnation.kernel.exited.then((exit) => {
      if (pooled.claimed) return;
      const index = this.ready.indexOf(pooled);
      if (index !== -1) this.ready.splice(index, 1);
      pooled.connection.close();
      if (!this.closed) {
        this.logger.warn({ kernel: pooled.kernel.id, code: exit.code, signal: exit.signal }, 'a pooled kernel exited; replacing it');
        this.fill();
      }
    });
    this.logger.info({ kernel: pooled.kernel.id, environment: target.key }, 'warm pool kernel ready');
    return pooled;
  }

  private async discard(pooled: Pooled): Promise<void> {
    pooled.claimed = true;
    pooled.connection.close();
    await pooled.kernel.kill().catch(() => {});
  }
}
