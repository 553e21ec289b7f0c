// The kernel bridge's public surface: find kernelspecs, then start a session per notebook and
// drive it (enqueue, cancel, interrupt, restart, shutdown, sendInput) while listening to its
// events. Sockets, framing and processes stay inside.

import type { KernelHandle } from './session/kernel-handle';
import { KernelSession, type KernelSessionOptions } from './session/kernel-session';

export { KernelSession, type KernelSessionOptions };
export type { KernelHandle };
export type {
  InputRequestedEvent,
  RunFinishedEvent,
  RunFinishStatus,
  RunOutput,
  RunOutputEvent,
  RunRequest,
  RunStartedEvent,
  SessionEvents,
  SessionStatus,
  StatusEvent,
} from './session/events';
export type {
  ClearOutputContent,
  DisplayDataContent,
  ErrorContent,
  ExecuteResultContent,
  KernelInfoReplyContent,
  LanguageInfo,
  MimeBundle,
  StreamContent,
  UpdateDisplayDataContent,
} from './protocol/content';
export { executeRequest, hiddenExecuteRequest, type ExecuteRequestContent } from './protocol/requests';
export { findKernelSpec, findKernelSpecs, jupyterDataDirs, type DiscoveryOptions } from './kernelspec/discovery';
export type { InterruptMode, KernelSpec } from './kernelspec/kernelspec';
export { LocalRuntime, type LocalRuntimeOptions } from './runtimes/local-runtime';
export { KernelLaunchError, type KernelRuntime } from './runtimes/runtime';
export { silentLogger, type BridgeLogger } from './logger';

/** The one way the server gets a kernel: which runtime launches it is `options.runtime`. */
export function openKernel(options: KernelSessionOptions): KernelHandle {
  return new KernelSession(options);
}
