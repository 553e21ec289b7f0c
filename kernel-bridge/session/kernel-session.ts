// One notebook's kernel and its queue of runs. Runs execute one at a time in the order they were
// enqueued; what the kernel sends back is routed to its run by parent_header.msg_id and reported
// as events. Lifecycle changes (start, restart, shutdown, death) are serialised, and each one
// ends every run it overtakes with a message saying why.

import { EventEmitter } from 'node:events';
import type { IncomingMessage } from '../client/kernel-connection';
import type { KernelSpec } from '../kernelspec/kernelspec';
import { type BridgeLogger, describeError, silentLogger } from '../logger';
import type { KernelInfoReplyContent } from '../protocol/content';
import { type JupyterMessage, parentMsgId } from '../protocol/message';
import { LocalRuntime } from '../runtimes/local-runtime';
import type { KernelRuntime } from '../runtimes/runtime';
import { ActiveRun } from './active-run';
import type { RunFinishedEvent, RunOutput, RunRequest, SessionEvents, SessionStatus } from './events';
import { ExecutionQueue } from './execution-queue';
import { describeExit, type Incarnation, startIncarnation } from './kernel-incarnation';
import { RecentRuns } from './recent-runs';

export interface KernelSessionOptions {
  spec: KernelSpec;
  /** The notebook's directory: the kernel's working directory. */
  cwd: string;
  /** Extra environment for the kernel, over the spec's. */
  env?: Record<string, string>;
  /** Where the kernel runs; a LocalRuntime by default. */
  runtime?: KernelRuntime;
  logger?: BridgeLogger;
  /** Header username for requests that name nobody. */
  username?: string;
  startTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  heartbeatMaxMisses?: number;
  /** How long a kernel asked to shut down gets to exit on its own before it is killed. */
  shutdownGraceMs?: number;
}

// After execute_reply, the idle status normally follows within milliseconds. If it never comes
// (a lost iopub message), the queue must not stall for ever.
const IDLE_AFTER_REPLY_MS = 10_000;
const CONTROL_REPLY_MS = 5_000;

export class KernelSession extends EventEmitter<SessionEvents> {
  readonly spec: KernelSpec;
  private readonly options: KernelSessionOptions;
  private readonly runtime: KernelRuntime;
  private readonly logger: BridgeLogger;
  private readonly queue = new ExecutionQueue();
  private readonly recent = new RecentRuns();
  private kernel: Incarnation | undefined;
  private startup: AbortController | undefined;
  private lifecycle: Promise<void> = Promise.resolve();
  /** Bumped by every restart and shutdown, so that lifecycle steps they overtook do nothing. */
  private generation = 0;
  private current: ActiveRun | undefined;
  private idleFallback: NodeJS.Timeout | undefined;
  private currentStatus: SessionStatus = 'shutdown';
  private currentMessage = 'No kernel is running';
  private activity = Date.now();

  constructor(options: KernelSessionOptions) {
    super();
    this.options = options;
    this.spec = options.spec;
    this.runtime = options.runtime ?? new LocalRuntime({ logger: options.logger });
    this.logger = options.logger ?? silentLogger;
  }

  get status(): SessionStatus {
    return this.currentStatus;
  }

  get statusMessage(): string {
    return this.currentMessage;
  }

  /** Epoch ms of the last request or kernel message, for culling idle kernels. */
  get lastActivity(): number {
    return this.activity;
  }

  /** The kernel's kernel_info_reply (language_info and so on), once it has started. */
  get kernelInfo(): KernelInfoReplyContent | undefined {
    return this.kernel?.info;
  }

  get runningRunId(): string | undefined {
    return this.current?.runId;
  }

  get queuedRunIds(): string[] {
    return this.queue.ids;
  }

  /** Starts the kernel if none is running. Never rejects: failures end in status 'dead'. */
  start(): Promise<void> {
    const generation = this.generation;
    return this.serialise(async () => {
      if (!this.kernel && generation === this.generation) await this.bringUp('starting', 'Starting the kernel');
    });
  }

  /**
   * Queues a run. The kernel is started if none is running. Events for the run are emitted
   * after this returns, never during.
   */
  enqueue(request: RunRequest): void {
    if (this.current?.runId === request.runId || this.queue.has(request.runId)) {
      throw new Error(`Run ${request.runId} is already queued or running`);
    }
    this.touch();
    if (this.currentStatus === 'dead') {
      const message = `The kernel is dead (${this.currentMessage}). Restart it to run code.`;
      queueMicrotask(() => this.emitFinished({ runId: request.runId, status: 'failed', executionCount: null, message }));
      return;
    }
    this.queue.push(request);
    if (!this.kernel && !this.startup) void this.start();
    else queueMicrotask(() => this.pump());
  }

  /** Takes a waiting run off the queue; false if it is not waiting (running or unknown). */
  cancel(runId: string, message = 'Cancelled before it ran'): boolean {
    const run = this.queue.remove(runId);
    if (!run) return false;
    this.emitFinished({ runId, status: 'cancelled', executionCount: null, message });
    return true;
  }

  /** Interrupts the running code; the run then finishes as 'interrupted' and the queue goes on. */
  async interrupt(): Promise<void> {
    const incarnation = this.kernel;
    if (!incarnation) return;
    this.touch();
    if (this.current) this.current.interruptRequested = true;
    const msgId = this.sendInterrupt(incarnation);
    if (msgId) await this.controlReply(incarnation, msgId);
  }

  /** Interrupts as the kernelspec asks; returns the interrupt_request's msg_id if one was sent. */
  private sendInterrupt(incarnation: Incarnation): string | undefined {
    if (this.spec.interruptMode === 'message') return incarnation.connection.send('control', 'interrupt_request', {});
    incarnation.kernel.interrupt();
    return undefined;
  }

  /** Answers the input() of a running run; false if that run is not waiting for input. */
  sendInput(runId: string, value: string): boolean {
    const run = this.current;
    if (!this.kernel || run?.runId !== runId || !run.pendingInput) return false;
    this.touch();
    this.kernel.connection.send('stdin', 'input_reply', { value }, { parent: run.pendingInput, username: run.request.username });
    run.pendingInput = undefined;
    return true;
  }

  /** Replaces the kernel with a new one; every waiting or running run ends, saying so. */
  restart(): Promise<void> {
    const generation = this.overtake();
    const old = this.detach();
    const busy = this.current !== undefined;
    this.endAllRuns('The kernel was restarted while this cell was running', 'The kernel was restarted before this cell ran');
    this.setStatus('restarting', 'Restarting the kernel');
    return this.serialise(async () => {
      await this.tearDown(old, true, busy);
      if (generation === this.generation) await this.bringUp('restarting', 'Restarting the kernel');
    });
  }

  /** Stops the kernel and everything it started; every waiting or running run ends, saying so. */
  shutdown(): Promise<void> {
    const generation = this.overtake();
    const old = this.detach();
    const busy = this.current !== undefined;
    this.endAllRuns('The kernel was shut down while this cell was running', 'The kernel was shut down before this cell ran');
    return this.serialise(async () => {
      await this.tearDown(old, false, busy);
      if (generation === this.generation) this.setStatus('shutdown', 'The kernel was shut down');
    });
  }

  /** Cancels whatever lifecycle work is pending or under way; returns the new generation. */
  private overtake(): number {
    this.generation += 1;
    this.startup?.abort(new Error('overtaken by a restart or shutdown'));
    return this.generation;
  }

  /** Stops using the current kernel at once, so no new run is sent to it. */
  private detach(): Incarnation | undefined {
    const incarnation = this.kernel;
    this.kernel = undefined;
    return incarnation;
  }

  // Lifecycle steps run one after another; a failed step must not block the ones after it.
  private serialise(step: () => Promise<void>): Promise<void> {
    this.lifecycle = this.lifecycle.then(step).catch((error: unknown) => {
      this.logger.error({ error: describeError(error) }, 'kernel lifecycle step failed');
    });
    return this.lifecycle;
  }

  private async bringUp(status: SessionStatus, message: string): Promise<void> {
    const attempt = new AbortController();
    this.startup = attempt;
    this.setStatus(status, message);
    try {
      const incarnation = await startIncarnation({
        runtime: this.runtime,
        request: { spec: this.spec, cwd: this.options.cwd, env: this.options.env },
        connection: {
          logger: this.logger,
          username: this.options.username ?? 'tandem',
          heartbeatIntervalMs: this.options.heartbeatIntervalMs ?? 1000,
          heartbeatMaxMisses: this.options.heartbeatMaxMisses ?? 3,
        },
        logger: this.logger,
        startTimeoutMs: this.options.startTimeoutMs ?? 60_000,
        signal: attempt.signal,
      });
      if (attempt.signal.aborted) {
        incarnation.connection.close();
        await incarnation.kernel.kill();
        return;
      }
      this.adopt(incarnation);
    } catch (error) {
      if (attempt.signal.aborted) return;
      const reason = describeError(error);
      this.logger.warn({ kernel: this.spec.name, reason }, 'kernel failed to start');
      this.failQueued(`The kernel could not start: ${reason}`);
      this.setStatus('dead', reason);
    } finally {
      if (this.startup === attempt) this.startup = undefined;
    }
  }

  private adopt(incarnation: Incarnation): void {
    this.kernel = incarnation;
    const { connection, kernel } = incarnation;
    connection.on('message', (message) => this.onMessage(incarnation, message));
    connection.on('heartbeatFailed', (missed) =>
      this.onKernelLost(incarnation, `The kernel stopped responding (${missed} heartbeats missed)`),
    );
    void kernel.exited.then((exit) => {
      if (this.kernel === incarnation) {
        this.logger.warn({ kernel: kernel.id, stderr: exit.stderrTail }, 'kernel died');
      }
      this.onKernelLost(incarnation, `The kernel died unexpectedly (${describeExit(exit)})`);
    });
    connection.startHeartbeat();
    this.touch();
    this.setStatus('idle', 'Kernel ready');
    this.pump();
  }

  private async tearDown(incarnation: Incarnation | undefined, restarting: boolean, busy: boolean): Promise<void> {
    if (!incarnation) return;
    // ipykernel cannot exit while its main thread is in user code, so a busy kernel is
    // interrupted first; otherwise it would sit out the whole grace period.
    if (busy) this.sendInterrupt(incarnation);
    // A polite shutdown_request lets the kernel save its history and run atexit hooks.
    incarnation.connection.send('control', 'shutdown_request', { restart: restarting });
    await raceTimeout(incarnation.kernel.exited, this.options.shutdownGraceMs ?? 2000);
    incarnation.connection.close();
    await incarnation.kernel.kill();
  }

  private onKernelLost(incarnation: Incarnation, reason: string): void {
    if (this.kernel !== incarnation) return;
    this.kernel = undefined;
    incarnation.connection.close();
    incarnation.kernel.kill().catch((error: unknown) => this.logger.error({ error: describeError(error) }, 'could not stop a dead kernel'));
    this.endAllRuns('The kernel died while this cell was running', 'The kernel died before this cell could run', 'failed');
    this.setStatus('dead', reason);
  }

  private pump(): void {
    const incarnation = this.kernel;
    if (this.current || !incarnation) return;
    const request = this.queue.shift();
    if (!request) return;
    const msgId = incarnation.connection.send(
      'shell',
      'execute_request',
      {
        code: request.code,
        silent: request.silent ?? false,
        store_history: request.storeHistory ?? true,
        user_expressions: {},
        allow_stdin: true,
        // JupyterLab's stop_on_error is applied by this queue (see maybeFinish). The kernel's own
        // would abort nothing of ours, since we send one run at a time, except by accident: after
        // an error ipykernel aborts whatever arrives in the next moment, which can be our next run.
        stop_on_error: false,
      },
      { username: request.username },
    );
    this.current = new ActiveRun(request, msgId);
    this.recent.remember(msgId, request.runId);
  }

  private onMessage(incarnation: Incarnation, { channel, message, typed }: IncomingMessage): void {
    if (this.kernel !== incarnation || !typed) return;
    this.touch();
    const parent = parentMsgId(message);
    const run = this.current && parent === this.current.msgId ? this.current : undefined;

    switch (typed.msgType) {
      case 'status':
        if (channel !== 'iopub') return;
        if (!isReadinessProbe(message)) this.followExecutionState(typed.content.execution_state);
        if (run && typed.content.execution_state === 'idle') {
          run.idle = true;
          this.maybeFinish(run);
        }
        return;
      case 'execute_input':
        if (run) {
          run.executionCount = typed.content.execution_count;
          this.markStarted(run);
        }
        return;
      case 'execute_reply':
        if (channel !== 'shell' || !run) return;
        run.reply = typed.content;
        if (typeof typed.content.execution_count === 'number') run.executionCount = typed.content.execution_count;
        this.maybeFinish(run);
        return;
      case 'input_request':
        if (channel !== 'stdin' || !run) return;
        run.pendingInput = message.header;
        this.markStarted(run);
        this.safely('inputRequested', () =>
          this.emit('inputRequested', { runId: run.runId, prompt: typed.content.prompt, password: typed.content.password }),
        );
        return;
      case 'stream':
      case 'display_data':
      case 'update_display_data':
      case 'execute_result':
      case 'error':
      case 'clear_output':
        if (channel === 'iopub') this.routeOutput(typed, parent, run);
        return;
      default:
        return;
    }
  }

  private routeOutput(output: RunOutput, parent: string | undefined, run: ActiveRun | undefined): void {
    // Output for a finished run (a thread it left printing) still belongs to that run's cell.
    const runId = run?.runId ?? (parent ? this.recent.runIdOf(parent) : undefined);
    if (!runId) {
      this.logger.debug({ msgType: output.msgType }, 'dropped output with no known run');
      return;
    }
    if (run) {
      this.markStarted(run);
      if (output.msgType === 'error') run.lastError = output.content;
      if (output.msgType === 'execute_result') run.executionCount = output.content.execution_count;
    }
    const displayId = 'transient' in output.content ? output.content.transient?.display_id : undefined;
    this.safely('output', () => this.emit('output', { ...output, runId, ...(displayId ? { displayId } : {}) }));
  }

  private followExecutionState(state: string): void {
    if (this.currentStatus !== 'idle' && this.currentStatus !== 'busy') return;
    if (state === 'busy') this.setStatus('busy', 'Kernel busy');
    if (state === 'idle') this.setStatus('idle', 'Kernel idle');
  }

  private markStarted(run: ActiveRun): void {
    if (run.started) return;
    run.started = true;
    this.safely('runStarted', () => this.emit('runStarted', { runId: run.runId, executionCount: run.executionCount }));
  }

  private maybeFinish(run: ActiveRun): void {
    if (run !== this.current || !run.reply) return;
    if (!run.complete) {
      this.idleFallback ??= setTimeout(() => {
        this.logger.warn({ runId: run.runId }, 'no idle status after execute_reply; finishing the run anyway');
        run.idle = true;
        this.maybeFinish(run);
      }, IDLE_AFTER_REPLY_MS);
      return;
    }
    this.clearCurrent();
    this.markStarted(run);
    const outcome = run.outcome();
    this.emitFinished(outcome);
    if (outcome.status === 'error' && (run.request.stopOnError ?? true)) {
      this.failQueued('Not run because an earlier cell raised an error', 'aborted');
    }
    this.pump();
  }

  private clearCurrent(): void {
    clearTimeout(this.idleFallback);
    this.idleFallback = undefined;
    this.current = undefined;
  }

  private endAllRuns(runningMessage: string, queuedMessage: string, queuedStatus: 'failed' | 'cancelled' = 'cancelled'): void {
    const run = this.current;
    if (run) {
      this.clearCurrent();
      this.emitFinished({ runId: run.runId, status: 'failed', executionCount: run.executionCount, message: runningMessage });
    }
    this.failQueued(queuedMessage, queuedStatus);
  }

  private failQueued(message: string, status: 'failed' | 'cancelled' | 'aborted' = 'failed'): void {
    for (const request of this.queue.drain()) {
      this.emitFinished({ runId: request.runId, status, executionCount: null, message });
    }
  }

  private async controlReply(incarnation: Incarnation, msgId: string): Promise<void> {
    let listener: ((message: IncomingMessage) => void) | undefined;
    const replied = new Promise<void>((resolve) => {
      listener = ({ channel, message }) => {
        if (channel === 'control' && parentMsgId(message) === msgId) resolve();
      };
      incarnation.connection.on('message', listener);
    });
    await raceTimeout(replied, CONTROL_REPLY_MS);
    if (listener) incarnation.connection.off('message', listener);
  }

  private setStatus(status: SessionStatus, message: string): void {
    if (status === this.currentStatus && message === this.currentMessage) return;
    this.currentStatus = status;
    this.currentMessage = message;
    this.safely('status', () => this.emit('status', { status, message }));
  }

  private emitFinished(event: RunFinishedEvent): void {
    this.safely('runFinished', () => this.emit('runFinished', event));
  }

  private touch(): void {
    this.activity = Date.now();
  }

  // A listener's exception must not unwind into a socket loop or a timer and crash the server.
  private safely(event: keyof SessionEvents, emit: () => void): void {
    try {
      emit();
    } catch (error) {
      this.logger.error({ event, error: describeError(error) }, 'kernel session listener threw');
    }
  }
}

/**
 * Status messages answering the kernel_info requests of the startup probe say nothing about the
 * user's code; following them would flicker busy/idle a dozen times after every start.
 */
function isReadinessProbe(message: JupyterMessage): boolean {
  const parent = message.parent_header;
  return 'msg_type' in parent && parent.msg_type === 'kernel_info_request';
}

/** Waits for `promise` at most `ms`, leaving no timer behind. */
async function raceTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
