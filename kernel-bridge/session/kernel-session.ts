// One notebook's kernel: its lifecycle (start, restart, shutdown, death) and its status, with
// the notebook's runs handed to a RunScheduler. Lifecycle changes are serialised, and each one
// ends every run it overtakes with a message saying why. Nothing a kernel does throws out of
// here: failures become status and run events.

import { EventEmitter } from 'node:events';
import type { IncomingMessage } from '../client/kernel-connection';
import type { KernelSpec } from '../kernelspec/kernelspec';
import { type BridgeLogger, describeError, silentLogger } from '../logger';
import type { KernelInfoReplyContent } from '../protocol/content';
import { type JupyterMessage, parentMsgId } from '../protocol/message';
import { executeRequest, hiddenExecuteRequest } from '../protocol/requests';
import { LocalRuntime } from '../runtimes/local-runtime';
import type { KernelRuntime } from '../runtimes/runtime';
import type { RunRequest, SessionEvents, SessionStatus } from './events';
import { describeExit, type Incarnation, startIncarnation } from './kernel-incarnation';
import { RunScheduler, type RunTransport } from './run-scheduler';

export interface KernelSessionOptions {
  spec: KernelSpec;
  /** The notebook's directory: the kernel's working directory. */
  cwd: string;
  /** Extra environment for the kernel, over the spec's. */
  env?: Record<string, string>;
  /**
   * Code run silently in every new kernel (after start and each restart) before any queued
   * run: it is sent first on the shell channel, which the kernel serves in order.
   */
  setupCode?: string;
  /** Where the kernel runs; a LocalRuntime by default. */
  runtime?: KernelRuntime;
  logger?: BridgeLogger;
  /** Header username for requests that name nobody. */
  username?: string;
  /** Default 60 s. */
  startTimeoutMs?: number;
  /** Default 1 s. */
  heartbeatIntervalMs?: number;
  /** Missed heartbeats in a row that mean the kernel is dead. Default 3. */
  heartbeatMaxMisses?: number;
  /** How long a kernel asked to shut down gets to exit on its own before it is killed. Default 2 s. */
  shutdownGraceMs?: number;
}

const CONTROL_REPLY_MS = 5_000;
const RESUME_LOST = 'The server restarted before this run finished, and its kernel was gone';
const RESUME_ENDED_UNHEARD = 'This run ended while the server was restarting: how it ended, and what it printed meanwhile, are lost';

export class KernelSession extends EventEmitter<SessionEvents> {
  readonly spec: KernelSpec;
  private readonly options: KernelSessionOptions;
  private readonly runtime: KernelRuntime;
  private readonly logger: BridgeLogger;
  private readonly runs: RunScheduler;
  private kernel: Incarnation | undefined;
  private startup: AbortController | undefined;
  private lifecycle: Promise<void> = Promise.resolve();
  /** Bumped by every restart and shutdown, so that lifecycle steps they overtook do nothing. */
  private generation = 0;
  private currentStatus: SessionStatus = 'shutdown';
  private currentMessage = 'No kernel is running';
  private activity = Date.now();

  constructor(options: KernelSessionOptions) {
    super();
    this.options = options;
    this.spec = options.spec;
    this.logger = options.logger ?? silentLogger;
    this.runtime = options.runtime ?? new LocalRuntime({ logger: this.logger });
    this.runs = new RunScheduler(
      {
        runStarted: (event) => this.safely('runStarted', () => this.emit('runStarted', event)),
        output: (event) => this.safely('output', () => this.emit('output', event)),
        inputRequested: (event) => this.safely('inputRequested', () => this.emit('inputRequested', event)),
        runFinished: (event) => this.safely('runFinished', () => this.emit('runFinished', event)),
      },
      this.logger,
    );
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

  /** The whole kernel_info_reply of the kernel now running, to answer clients without asking it again. */
  get kernelInfoReply(): JupyterMessage | undefined {
    return this.kernel?.infoReply;
  }

  /**
   * Passes a Jupyter client's request to the kernel with its header as is, so the kernel's
   * replies answer it. False when no kernel is up to take it.
   */
  send(channel: 'shell' | 'control', message: JupyterMessage): boolean {
    const incarnation = this.kernel;
    if (!incarnation) return false;
    this.touch();
    incarnation.connection.sendMessage(channel, message);
    return true;
  }

  get runningRunId(): string | undefined {
    return this.runs.runningRunId;
  }

  get queuedRunIds(): string[] {
    return this.runs.queuedRunIds;
  }

  /** Starts the kernel if none is running. Never rejects: failures end in status 'dead'. */
  start(): Promise<void> {
    const generation = this.generation;
    return this.serialise(async () => {
      if (!this.kernel && generation === this.generation) await this.bringUp('starting', 'Starting the kernel');
    });
  }

  /**
   * Queues a run; the kernel is started if none is running. Events for the run are emitted after
   * this returns, never during. Throws only for a runId that is already waiting or running.
   */
  enqueue(request: RunRequest): void {
    if (this.runs.has(request.runId)) throw new Error(`Run ${request.runId} is already queued or running`);
    this.touch();
    if (this.currentStatus === 'dead') {
      const message = `The kernel is dead (${this.currentMessage}). Restart it to run code.`;
      const event = { runId: request.runId, status: 'failed', executionCount: null, message } as const;
      queueMicrotask(() => this.safely('runFinished', () => this.emit('runFinished', event)));
      return;
    }
    // Sending the execute_request now emits nothing; every run event waits for the kernel.
    this.runs.enqueue(request);
    if (!this.kernel && !this.startup) void this.start();
  }

  /**
   * Follows a run that an earlier server sent (execute_request `msgId`) to the kernel this
   * session is about to reattach to, before it starts. If the kernel comes up reattached, the
   * run's further outputs and its reply come as for any run (what it printed meanwhile is
   * lost); if the kernel is a fresh one, or the run ended unheard, it finishes as failed. False
   * if the session already has a kernel or a running run.
   */
  resume(request: RunRequest, msgId: string): boolean {
    if (this.kernel || this.startup) return false;
    return this.runs.resume(request, msgId);
  }

  /** Takes a waiting run off the queue; false if it is not waiting (running or unknown). */
  cancel(runId: string, message = 'Cancelled before it ran'): boolean {
    return this.runs.cancel(runId, message);
  }

  /** Interrupts the running code; the run then finishes as 'interrupted' and the queue goes on. */
  async interrupt(): Promise<void> {
    const incarnation = this.kernel;
    if (!incarnation) return;
    this.touch();
    this.runs.interruptRequested();
    const msgId = this.sendInterrupt(incarnation);
    if (msgId) await this.controlReply(incarnation, msgId);
  }

  /** Answers the input() of a running run; false if that run is not waiting for input. */
  sendInput(runId: string, value: string): boolean {
    const sent = this.runs.sendInput(runId, value);
    if (sent) this.touch();
    return sent;
  }

  /** Replaces the kernel with a new one; every waiting or running run ends, saying so. */
  restart(): Promise<void> {
    const generation = this.overtake();
    const busy = this.runs.isRunning;
    const old = this.detach();
    this.runs.endAll('The kernel was restarted while this cell was running', 'The kernel was restarted before this cell ran', 'cancelled');
    this.setStatus('restarting', 'Restarting the kernel');
    return this.serialise(async () => {
      await this.tearDown(old, true, busy);
      if (generation === this.generation) await this.bringUp('restarting', 'Restarting the kernel');
    });
  }

  /** Stops the kernel and everything it started; every waiting or running run ends, saying so. */
  shutdown(): Promise<void> {
    const generation = this.overtake();
    const busy = this.runs.isRunning;
    const old = this.detach();
    this.runs.endAll('The kernel was shut down while this cell was running', 'The kernel was shut down before this cell ran', 'cancelled');
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

  /** Stops using the current kernel at once, so that no new run is sent to it. */
  private detach(): Incarnation | undefined {
    const incarnation = this.kernel;
    this.kernel = undefined;
    this.runs.detach();
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
        request: {
          spec: this.spec,
          cwd: this.options.cwd,
          env: this.options.env,
          // A launch that waits (for a node, an image) says so in the status while it lasts.
          progress: (progress) => {
            if (this.startup === attempt) this.setStatus(status, `${message}: ${progress}`);
          },
        },
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
      this.runs.endQueued(`The kernel could not start: ${reason}`, 'failed');
      this.runs.endResumed(`The kernel could not start: ${reason}`);
      this.setStatus('dead', reason);
    } finally {
      if (this.startup === attempt) this.startup = undefined;
    }
  }

  private adopt(incarnation: Incarnation): void {
    this.kernel = incarnation;
    const { connection, kernel } = incarnation;
    connection.on('message', (message) => this.onMessage(incarnation, message));
    connection.on('heartbeatFailed', (missed) => this.onKernelLost(incarnation, `The kernel stopped responding (${missed} heartbeats missed)`));
    void kernel.exited.then((exit) => {
      if (this.kernel === incarnation) this.logger.warn({ kernel: kernel.id, stderr: exit.stderrTail }, 'kernel died');
      this.onKernelLost(incarnation, `The kernel died unexpectedly (${describeExit(exit)})`);
    });
    connection.startHeartbeat();
    if (this.options.setupCode) {
      connection.send('shell', 'execute_request', hiddenExecuteRequest(this.options.setupCode));
    }
    this.touch();
    const resumed = this.runs.resumedRunId !== undefined;
    if (resumed && !kernel.reattached) this.runs.endResumed(RESUME_LOST);
    else if (resumed) this.probeResumed(incarnation);
    this.setStatus(this.runs.resumedRunId ? 'busy' : 'idle', this.runs.resumedRunId ? 'Kernel busy' : 'Kernel ready');
    this.runs.attach(this.transportFor(incarnation));
  }

  /**
   * The shell serves requests in order, so a kernel_info sent now is taken up only once the
   * resumed run is over, and iopub, one ordered stream, carries the run's idle status before
   * anything of the probe's. Word of the probe with the run still going means the run ended
   * while no server listened.
   */
  private probeResumed(incarnation: Incarnation): void {
    const { connection } = incarnation;
    const probe = connection.send('shell', 'kernel_info_request', {});
    const onMessage = ({ channel, message }: IncomingMessage): void => {
      if (this.kernel !== incarnation) {
        connection.off('message', onMessage);
        return;
      }
      if (channel !== 'iopub' || parentMsgId(message) !== probe) return;
      connection.off('message', onMessage);
      this.runs.endResumed(RESUME_ENDED_UNHEARD);
    };
    connection.on('message', onMessage);
  }

  private transportFor({ connection }: Incarnation): RunTransport {
    return {
      execute: (request) =>
        request.message
          ? connection.sendMessage('shell', {
              ...request.message,
              content: { ...(request.message.content as object), stop_on_error: false },
            })
          : connection.send(
              'shell',
              'execute_request',
              executeRequest(request.code, {
                silent: request.silent ?? false,
                store_history: request.storeHistory ?? true,
                // JupyterLab's stop_on_error is applied by the RunScheduler. The kernel's own would
                // abort nothing of ours, since runs go one at a time, except by accident: after an
                // error, ipykernel aborts whatever arrives in the next instant, which can be our next run.
                stop_on_error: false,
              }),
              { username: request.username },
            ),
      inputReply: (parent, value, username) => connection.send('stdin', 'input_reply', { value }, { parent, username }),
    };
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
    this.detach();
    incarnation.connection.close();
    incarnation.kernel.kill().catch((error: unknown) => this.logger.error({ error: describeError(error) }, 'could not stop a dead kernel'));
    this.runs.endAll('The kernel died while this cell was running', 'The kernel died before this cell could run', 'failed');
    this.setStatus('dead', reason);
  }

  private onMessage(incarnation: Incarnation, { channel, message, typed }: IncomingMessage): void {
    if (this.kernel !== incarnation) return;
    this.touch();
    // Before the runs see it: a client reading the raw messages gets a run's reply and idle
    // status before the run's runFinished event.
    this.safely('message', () => this.emit('message', { channel, message }));
    if (!typed) return;
    if (typed.msgType === 'status' && channel === 'iopub' && !isReadinessProbe(message)) {
      this.followExecutionState(typed.content.execution_state);
    }
    this.runs.handle(channel, message, typed);
  }

  private followExecutionState(state: string): void {
    if (this.currentStatus !== 'idle' && this.currentStatus !== 'busy') return;
    if (state === 'busy') this.setStatus('busy', 'Kernel busy');
    if (state === 'idle') this.setStatus('idle', 'Kernel idle');
  }

  /** Interrupts as the kernelspec asks; returns the interrupt_request's msg_id if one was sent. */
  private sendInterrupt(incarnation: Incarnation): string | undefined {
    if (this.spec.interruptMode === 'message' || incarnation.kernel.interruptMode === 'message')
      return incarnation.connection.send('control', 'interrupt_request', {});
    incarnation.kernel.interrupt();
    return undefined;
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
