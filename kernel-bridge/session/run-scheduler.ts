// The notebook's runs: a FIFO queue, the one run the kernel is executing, and the routing of
// what the kernel sends back (by parent_header.msg_id) into run events. It knows how to send an
// execute_request or an input_reply only through the transport the session attaches while a
// kernel is up, and nothing about the kernel's lifecycle.

import type { BridgeLogger } from '../logger';
import type { TypedContent } from '../protocol/content';
import type { Channel, JupyterMessage, MessageHeader } from '../protocol/message';
import { parentMsgId } from '../protocol/message';
import { ActiveRun } from './active-run';
import type { InputRequestedEvent, RunFinishedEvent, RunOutput, RunOutputEvent, RunRequest, RunStartedEvent } from './events';
import { ExecutionQueue } from './execution-queue';
import { RecentRuns } from './recent-runs';

/** How runs reach the kernel that is up now. */
export interface RunTransport {
  /** Sends an execute_request; returns its msg_id. */
  execute(request: RunRequest): string;
  inputReply(parent: MessageHeader, value: string, username: string | undefined): void;
}

export interface RunEventSink {
  runStarted(event: RunStartedEvent): void;
  output(event: RunOutputEvent): void;
  inputRequested(event: InputRequestedEvent): void;
  runFinished(event: RunFinishedEvent): void;
}

// After execute_reply, the idle status normally follows within milliseconds. If it never comes
// (a lost iopub message), the queue must not stall for ever.
const IDLE_AFTER_REPLY_MS = 10_000;

export class RunScheduler {
  private readonly queue = new ExecutionQueue();
  private readonly recent = new RecentRuns();
  private transport: RunTransport | undefined;
  private current: ActiveRun | undefined;
  private idleFallback: NodeJS.Timeout | undefined;

  constructor(
    private readonly events: RunEventSink,
    private readonly logger: BridgeLogger,
  ) {}

  get runningRunId(): string | undefined {
    return this.current?.runId;
  }

  get queuedRunIds(): string[] {
    return this.queue.ids;
  }

  get isRunning(): boolean {
    return this.current !== undefined;
  }

  has(runId: string): boolean {
    return this.current?.runId === runId || this.queue.has(runId);
  }

  /** Lets runs flow to a kernel that has just come up. */
  attach(transport: RunTransport): void {
    this.transport = transport;
    this.pump();
  }

  /** Stops sending runs; call before ending the runs of a kernel that is going away. */
  detach(): void {
    this.transport = undefined;
  }

  enqueue(request: RunRequest): void {
    this.queue.push(request);
    this.pump();
  }

  cancel(runId: string, message: string): boolean {
    if (!this.queue.remove(runId)) return false;
    this.events.runFinished({ runId, status: 'cancelled', executionCount: null, message });
    return true;
  }

  /**
   * Follows a run that an earlier server sent to the kernel, which is to be reattached to: its
   * outputs and its reply come to it as to a run sent from here, and nothing else is sent until
   * it is over. False if a run is already running.
   */
  resume(request: RunRequest, msgId: string): boolean {
    if (this.current || this.queue.has(request.runId)) return false;
    const run = new ActiveRun(request, msgId);
    run.started = true;
    run.resumed = true;
    this.current = run;
    this.recent.remember(msgId, request.runId);
    return true;
  }

  /** The resumed run, while it is the one running. */
  get resumedRunId(): string | undefined {
    return this.current?.resumed ? this.current.runId : undefined;
  }

  /** Ends a resumed run that cannot be followed (a fresh kernel) or that ended unheard. */
  endResumed(message: string): void {
    const run = this.current;
    if (!run?.resumed || run.reply) return;
    this.clearCurrent();
    this.events.runFinished({ runId: run.runId, status: 'failed', executionCount: run.executionCount, message });
    this.pump();
  }

  /** Marks the running run, so that its KeyboardInterrupt reads as 'interrupted'. */
  interruptRequested(): void {
    if (this.current) this.current.interruptRequested = true;
  }

  sendInput(runId: string, value: string): boolean {
    const run = this.current;
    if (!this.transport || run?.runId !== runId || !run.pendingInput) return false;
    this.transport.inputReply(run.pendingInput, value, run.request.username);
    run.pendingInput = undefined;
    return true;
  }

  /** Ends the running run as failed and every queued one with `queuedStatus`, each saying why. */
  endAll(runningMessage: string, queuedMessage: string, queuedStatus: 'failed' | 'cancelled'): void {
    const run = this.current;
    if (run) {
      this.clearCurrent();
      this.events.runFinished({ runId: run.runId, status: 'failed', executionCount: run.executionCount, message: runningMessage });
    }
    this.endQueued(queuedMessage, queuedStatus);
  }

  endQueued(message: string, status: 'failed' | 'cancelled' | 'aborted'): void {
    for (const request of this.queue.drain()) {
      this.events.runFinished({ runId: request.runId, status, executionCount: null, message });
    }
  }

  /** Routes one message from the kernel to the run it answers. */
  handle(channel: Channel, message: JupyterMessage, typed: TypedContent): void {
    const parent = parentMsgId(message);
    const run = this.current && parent === this.current.msgId ? this.current : undefined;
    switch (typed.msgType) {
      case 'status':
        if (channel === 'iopub' && run && typed.content.execution_state === 'idle') {
          run.idle = true;
          this.maybeFinish(run);
        }
        return;
      case 'execute_input':
        if (!run) return;
        run.executionCount = typed.content.execution_count;
        this.markStarted(run);
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
        this.events.inputRequested({ runId: run.runId, prompt: typed.content.prompt, password: typed.content.password });
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

  private pump(): void {
    if (this.current || !this.transport) return;
    const request = this.queue.shift();
    if (!request) return;
    const msgId = this.transport.execute(request);
    this.current = new ActiveRun(request, msgId);
    this.recent.remember(msgId, request.runId);
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
    this.events.output({ ...output, runId, ...(displayId ? { displayId } : {}) });
  }

  private markStarted(run: ActiveRun): void {
    if (run.started) return;
    run.started = true;
    this.events.runStarted({ runId: run.runId, executionCount: run.executionCount, msgId: run.msgId });
  }

  private maybeFinish(run: ActiveRun): void {
    if (run !== this.current || !(run.reply || run.resumed)) return;
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
    this.events.runFinished(outcome);
    // JupyterLab's stop_on_error, applied here rather than by the kernel: see the session's
    // execute_request.
    if (outcome.status === 'error' && (run.request.stopOnError ?? true)) {
      this.endQueued('Not run because an earlier cell raised an error', 'aborted');
    }
    this.pump();
  }

  private clearCurrent(): void {
    clearTimeout(this.idleFallback);
    this.idleFallback = undefined;
    this.current = undefined;
  }
}
