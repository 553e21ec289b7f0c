// The kernel bridge's public surface: find kernelspecs, then start a session per notebook and
// drive it (enqueue, cancel, interrupt, restart, shutdown, sendInput) while listening to its
// events. Sockets, framing and processes stay inside.

import type { KernelHandle } from './session/kernel-handle';
import { KernelSession, type KernelSessionOptions } from './session/kernel-session';

export { findKernelSpec, findKernelSpecs } from './kernelspec/discovery';
export type { KernelSpec } from './kernelspec/kernelspec';
export { type BridgeLogger, silentLogger } from './logger';
export type { JupyterMessage } from './protocol/message';
export { createMessage } from './protocol/message';
export { executeRequest } from './protocol/requests';
export { type ChannelMessage, decodeChannelFrame, encodeChannelFrame, KERNEL_WS_PROTOCOL_V1 } from './protocol/websocket-frames';
export { LocalRuntime } from './runtimes/local-runtime';
export { KernelLaunchError } from './runtimes/runtime';
export type { KernelMessageEvent, RunFinishedEvent, RunFinishStatus, RunOutputEvent, SessionStatus } from './session/events';
export type { KernelHandle };
export { KernelSession, type KernelSessionOptions };

/** The one way the server gets a kernel: which runtime launches it is `options.runtime`. */
export function openKernel(options: KernelSessionOptions): KernelHandle {
  return new KernelSession(options);
}
