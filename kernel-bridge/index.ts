// The kernel bridge's public surface: find kernelspecs, then start a session per notebook and
// drive it (enqueue, cancel, interrupt, restart, shutdown, sendInput) while listening to its
// events. Sockets, framing and processes stay inside.

import type { KernelHandle } from './session/kernel-handle';
import { KernelSession, type KernelSessionOptions } from './session/kernel-session';

export { KernelSession, type KernelSessionOptions };
export type { KernelHandle };
export type { KernelMessageEvent, RunFinishedEvent, RunFinishStatus, RunOutputEvent, SessionStatus } from './session/events';
export type { JupyterMessage } from './protocol/message';
export { createMessage } from './protocol/message';
export { decodeChannelFrame, encodeChannelFrame, KERNEL_WS_PROTOCOL_V1, type ChannelMessage } from './protocol/websocket-frames';
export { executeRequest } from './protocol/requests';
export { findKernelSpec, findKernelSpecs } from './kernelspec/discovery';
export type { KernelSpec } from './kernelspec/kernelspec';
export { LocalRuntime } from './runtimes/local-runtime';
export { KernelLaunchError } from './runtimes/runtime';
export { silentLogger, type BridgeLogger } from './logger';

/** The one way the server gets a kernel: which runtime launches it is `options.runtime`. */
export function openKernel(options: KernelSessionOptions): KernelHandle {
  return new KernelSession(options);
}
