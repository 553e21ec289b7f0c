// What a kernel session reports to its owner (the server), as typed events. Payloads are plain
// data; output content is the kernel's own, validated, so it can go into the notebook as is.

import type { KernelStatus } from '../../common/doc-schema';
import type { ClearOutputContent, DisplayDataContent, ErrorContent, ExecuteResultContent, StreamContent, UpdateDisplayDataContent } from '../protocol/content';
import type { Channel, JupyterMessage } from '../protocol/message';

export type SessionStatus = Extract<KernelStatus, 'starting' | 'idle' | 'busy' | 'restarting' | 'dead' | 'shutdown'>;

export interface StatusEvent {
  status: SessionStatus;
  /** For people: "Kernel ready", "The kernel died unexpectedly (exit code 1)". */
  message: string;
}

export interface RunRequest {
  /** Caller's id for the run; unique among runs waiting or running in this session. */
  runId: string;
  code: string;
  /** Who asked, written into the request header. */
  username?: string;
  /** Default false. A silent run has no execute_input, no execution count and no history. */
  silent?: boolean;
  /** Default true. */
  storeHistory?: boolean;
  /** Default true, as in JupyterLab: if this run raises, the runs waiting behind it are aborted. */
  stopOnError?: boolean;
  /**
   * A Jupyter client's own execute_request, sent with its header as is so that what the kernel
   * sends back answers that client; `code` is its code. Its own stop_on_error is replaced by
   * `stopOnError`, which the queue applies.
   */
  message?: JupyterMessage;
}

export interface RunStartedEvent {
  runId: string;
  /** The kernel's In[n]; null for silent runs. */
  executionCount: number | null;
  /** The execute_request's msg_id, by which a server that reattaches to the kernel can follow the run (resume). */
  msgId: string;
}

export type RunOutput =
  | { msgType: 'stream'; content: StreamContent }
  | { msgType: 'display_data'; content: DisplayDataContent }
  | { msgType: 'update_display_data'; content: UpdateDisplayDataContent }
  | { msgType: 'execute_result'; content: ExecuteResultContent }
  | { msgType: 'error'; content: ErrorContent }
  | { msgType: 'clear_output'; content: ClearOutputContent };

export type RunOutputEvent = RunOutput & {
  /** The run whose request produced this output (parent_header.msg_id). */
  runId: string;
  /**
   * transient.display_id, if any. An update_display_data may target a display made by an
   * earlier run, or by another cell: update every output with this id, wherever it is.
   */
  displayId?: string;
};

export interface InputRequestedEvent {
  runId: string;
  prompt: string;
  /** Hide what is typed (getpass). */
  password: boolean;
}

export type RunFinishStatus = 'ok' | 'error' | 'aborted' | 'interrupted' | 'failed' | 'cancelled';

export interface RunFinishedEvent {
  runId: string;
  status: RunFinishStatus;
  executionCount: number | null;
  /** For every status but ok and error: what happened, for people. */
  message?: string;
  /** For status error (and interrupted): the exception, as the kernel reported it. */
  error?: ErrorContent;
}

/** Every message the kernel sends, as it sent it, for clients that speak Jupyter's protocol themselves. */
export interface KernelMessageEvent {
  channel: Channel;
  message: JupyterMessage;
}

export interface SessionEvents {
  message: [KernelMessageEvent];
  status: [StatusEvent];
  runStarted: [RunStartedEvent];
  output: [RunOutputEvent];
  inputRequested: [InputRequestedEvent];
  runFinished: [RunFinishedEvent];
}
