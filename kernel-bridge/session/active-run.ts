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

  constructor(
    readonly request: RunRequest,
    /** msg_id of the execute_request: the parent of everything the kernel sends for this run. */
    readonly msgId: string,
  ) {}

  get runId(): string {
    return this.request.runId;
  }

  get complete(): boolean {
    return this.reply !== undefined && this.idle;
  }

  /** How the run ended, from its execute_reply. */
  outcome(): RunFinishedEvent {
    const reply = this.reply;
    const base = { runId: this.runId, executionCount: reply?.execution_count ?? this.executionCount };
    if (!reply || reply.status === 'ok') return { ...base, status: 'ok' };
    if (reply.status === 'aborted') {
      return { ...base, status: 'aborted', message: 'The kernel skipped this cell because an earlier cell failed' };
    }
    const error: ErrorContent = reply.ename
      ? { ename: reply.ename, evalue: reply.evalue ?? '', traceback: reply.traceback ?? [] }
      : (this.lastError ?? { ename: 'Error', evalue: '', traceback: [] });
    if (this.interruptRequested || error.ename === 'KeyboardInterrupt') {
      return { ...base, status: 'interrupted', message: 'Interrupted', error };
    }
    return { ...base, status: 'error', error };
  }
}
