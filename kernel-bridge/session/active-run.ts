// The run the kernel is executing: what has come back for it so far, and how it ended.
// A run is over once both its execute_reply (shell) and its idle status (iopub) have arrived:
// the two travel on different sockets, and outputs published before idle may arrive after the
// reply.

import type { ErrorContent, ExecuteReplyContent } from '../protocol/content';
import type { MessageHeader } from '../protocol/message';
import type { RunFinishedEvent, RunRequest } from './events';

export class ActiveRun {
  started = false;
  executionCount: number | null = null;
  reply: ExecuteReplyContent | undefined;
  idle = false;
  interruptRequested = false;
  /** The input_request waiting for an answer; our input_reply names it as its parent. */
  pendingInput: MessageHeader | undefined;
  /** The last error output, in case the reply carries no exception details. */
  lastError: ErrorContent | undefined;
  /** Sent by an earlier server to the kernel it left running, and followed here (RunScheduler.resume). */
  resumed = false;

  constructor(
    readonly request: RunRequest,
    /** msg_id of the execute_request: the parent of everything the kernel sends for this run. */
    readonly msgId: string,
  ) {}

  get runId(): string {
    return this.request.runId;
  }

  // A resumed run's execute_reply went to the socket of the server that sent it, which is gone
  // (the shell routes replies by socket): its idle status, broadcast on iopub, ends it.
  get complete(): boolean {
    return (this.reply !== undefined || this.resumed) && this.idle;
  }

  /** How the run ended, from its execute_reply. */
  outcome(): RunFinishedEvent {
    const reply = this.reply;
    const base = { runId: this.runId, executionCount: reply?.execution_count ?? this.executionCount };
    // With no reply (a resumed run), an error output on iopub is what says the run failed.
    if (!reply && this.lastError) return this.failed(base, this.lastError);
    if (!reply || reply.status === 'ok') return { ...base, status: 'ok' };
    if (reply.status === 'aborted') {
      return { ...base, status: 'aborted', message: 'The kernel skipped this cell because an earlier cell failed' };
    }
    const error: ErrorContent = reply.ename
      ? { ename: reply.ename, evalue: reply.evalue ?? '', traceback: reply.traceback ?? [] }
      : (this.lastError ?? { ename: 'Error', evalue: '', traceback: [] });
    return this.failed(base, error);
  }

  private failed(base: { runId: string; executionCount: number | null }, error: ErrorContent): RunFinishedEvent {
    if (this.interruptRequested || error.ename === 'KeyboardInterrupt') {
      return { ...base, status: 'interrupted', message: 'Interrupted', error };
    }
    return { ...base, status: 'error', error };
  }
}
