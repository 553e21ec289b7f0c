// One kernel's pod, seen from the server, through the runtime's watch: running() waits for it to
// be running with an address (or fails with why not); `exited` resolves when it ends for any
// reason (the kernel exited, ran out of memory, the pod failed, was evicted or was deleted
// from outside), with that reason in words. kill() deletes the pod, its Secret and its
// NetworkPolicy, and waits for the pod to be gone.

import type { V1Pod } from '@kubernetes/client-node';
import type { BridgeLogger } from '../logger';
import type { ConnectionInfo } from '../protocol/connection-info';
import type { KernelExit, LaunchedKernel } from '../runtimes/runtime';
import type { KubernetesRuntime } from './kubernetes-runtime';
import { type PodState, podState } from './pod-state';
import type { PodWatcher } from './pod-watcher';

export interface PodKernelOptions {
  name: string;
  runtime: KubernetesRuntime;
  watcher: PodWatcher;
  memoryLimitBytes: number;
  /** Told what the pod waits for, each time that changes. */
  progress?: (message: string) => void;
  logger: BridgeLogger;
  /** Found running, started by an earlier run of this server. */
  reattached?: boolean;
}

// A pod the API server has accepted a delete for is gone within seconds; past this, stop waiting.
const DELETE_WAIT_MS = 30_000;

export class PodKernel implements LaunchedKernel {
  readonly id: string;
  readonly exited: Promise<KernelExit>;
  /** No signal reaches a pod: interrupt_request on the control channel instead. */
  readonly interruptMode = 'message' as const;
  readonly reattached: boolean;
  private info: ConnectionInfo | undefined;
  private state: PodState = { kind: 'pending', reason: 'being created' };
  private readonly stateListeners = new Set<() => void>();
  private readonly unfollow: () => void;
  private ended: ((exit: KernelExit) => void) | undefined;
  private killing = false;
  private podCreated = false;
  private lastPending: string | undefined;

  constructor(private readonly options: PodKernelOptions) {
    this.id = `pod ${options.name}`;
    this.reattached = options.reattached ?? false;
    this.exited = new Promise((resolve) => (this.ended = resolve));
    this.unfollow = options.watcher.follow(options.name, (pod, deleted) => this.observe(pod, deleted));
  }

  get connection(): ConnectionInfo {
    if (!this.info) throw new Error(`${this.id} is not running yet`);
    return this.info;
  }

  /** The pod's name, for its labels and logs. */
  get name(): string {
    return this.options.name;
  }

  /** The API server accepted the pod: from now on, its end comes through the watch. */
  created(): void {
    this.podCreated = true;
  }

  connectTo(info: ConnectionInfo): void {
    this.info = info;
  }

  /** Resolves with the pod's IP once it runs; rejects with why it will not, or once `signal` aborts. */
  running(timeoutMs: number, signal?: AbortSignal): Promise<string> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.stateListeners.delete(check);
        signal?.removeEventListener('abort', abandoned);
      };
      const abandoned = (): void => {
        done();
        reject(new Error('nobody wants the kernel any more'));
      };
      const check = (): void => {
        const state = this.state;
        if (state.kind === 'running') {
          done();
          resolve(state.ip);
        } else if (state.kind === 'ended') {
          done();
          reject(new Error(state.reason));
        }
      };
      const timer = setTimeout(() => {
        done();
        const reason = this.state.kind === 'pending' ? this.state.reason : 'not running';
        reject(new Error(`still ${reason} after ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.stateListeners.add(check);
      if (signal?.aborted) return abandoned();
      signal?.addEventListener('abort', abandoned);
      check();
    });
  }

  interrupt(): void {
    this.options.logger.debug({ kernel: this.id }, 'a signal interrupt cannot reach a pod; the session sends interrupt_request');
  }

  async kill(): Promise<void> {
    this.killing = true;
    await this.options.runtime.deleteKernel(this.options.name);
    if (!this.podCreated) {
      this.end({ code: null, signal: null, stderrTail: '', reason: 'the kernel was stopped' });
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, DELETE_WAIT_MS)));
    await Promise.race([this.exited, gaveUp]);
    clearTimeout(timer);
    this.end({ code: null, signal: null, stderrTail: '', reason: 'the kernel was stopped' });
  }

  private observe(pod: V1Pod, deleted: boolean): void {
    const state = podState(pod, this.options.memoryLimitBytes);
    if (deleted) {
      const reason = state.kind === 'ended' ? state.reason : this.killing ? 'the kernel was stopped' : "the kernel's pod was deleted";
      this.state = { kind: 'ended', reason, exitCode: state.kind === 'ended' ? state.exitCode : null };
    } else if (this.state.kind !== 'ended') {
      this.state = state;
    }
    if (this.state.kind === 'pending' && this.state.reason !== this.lastPending) {
      this.lastPending = this.state.reason;
      this.options.logger.debug({ kernel: this.id, reason: this.state.reason }, 'kernel pod pending');
      this.options.progress?.(this.state.reason);
    }
    for (const listener of [...this.stateListeners]) listener();
    if (this.state.kind === 'ended') void this.finish(this.state, deleted);
  }

  private async finish(state: Extract<PodState, { kind: 'ended' }>, deleted: boolean): Promise<void> {
    if (!this.ended) return;
    const stderrTail = deleted || this.killing ? '' : await this.options.runtime.logTail(this.options.name);
    this.end({ code: state.exitCode, signal: null, stderrTail, reason: state.reason });
    // An ended pod is of no more use: its objects go, whoever ended it.
    if (!deleted && !this.killing) await this.options.runtime.deleteKernel(this.options.name);
  }

  private end(exit: KernelExit): void {
    const ended = this.ended;
    if (!ended) return;
    this.ended = undefined;
    this.unfollow();
    ended(exit);
  }
}
