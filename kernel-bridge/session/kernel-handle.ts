// What the server holds of a notebook's kernel: its lifecycle, its run queue and its events,
// and nothing about where or how it runs. KernelSession (a kernel reached over ZeroMQ, launched
// by any KernelRuntime: a local process, a container, a pod) is the implementation; the server
// gets handles only from openKernel(), so runtimes are interchangeable to it.

import type { KernelSpec } from '../kernelspec/kernelspec';
import type { JupyterMessage } from '../protocol/message';
import type { RunRequest, SessionEvents, SessionStatus } from './events';

type Listener<K extends keyof SessionEvents> = (...args: SessionEvents[K]) => void;

export interface KernelHandle {
  readonly spec: KernelSpec;
  readonly status: SessionStatus;
  /** Epoch ms of the last request or kernel message, for culling idle kernels. */
  readonly lastActivity: number;
  /** Starts the kernel if none is running. Never rejects: failures end in status 'dead'. */
  start(): Promise<void>;
  /** Queues a run; starts the kernel if needed. Its events follow, never during this call. */
  enqueue(request: RunRequest): void;
  /** Before the kernel starts: follows a run an earlier server sent to the kernel to be reattached to. */
  resume(request: RunRequest, msgId: string): boolean;
  /** Takes a waiting run off the queue; false if it is not waiting. */
  cancel(runId: string, message?: string): boolean;
  interrupt(): Promise<void>;
  restart(): Promise<void>;
  shutdown(): Promise<void>;
  /** Answers a running run's input(); false if it is not waiting for input. */
  sendInput(runId: string, value: string): boolean;
  // For the Jupyter kernel API, whose clients speak the protocol themselves: the cached
  // kernel_info_reply, raw requests passed through (complete, inspect, comms...), and every
  // kernel message as the `message` event. Their runs still go through enqueue().
  /** The running kernel's kernel_info_reply, as it sent it. */
  readonly kernelInfoReply: JupyterMessage | undefined;
  /** Passes a client's request (header kept) to the kernel; false if no kernel is up. */
  send(channel: 'shell' | 'control', message: JupyterMessage): boolean;
  on<K extends keyof SessionEvents>(event: K, listener: Listener<K>): unknown;
  off<K extends keyof SessionEvents>(event: K, listener: Listener<K>): unknown;
  removeAllListeners(): unknown;
}
