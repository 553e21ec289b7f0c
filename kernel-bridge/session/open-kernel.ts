// The one way to get a kernel handle. Which runtime launches the kernel (a local process, and
// later a container or a pod) is the caller's choice of `runtime`; the handle is the same.

import type { KernelHandle } from './kernel-handle';
import { KernelSession, type KernelSessionOptions } from './kernel-session';

export type KernelOptions = KernelSessionOptions;

export function openKernel(options: KernelOptions): KernelHandle {
  return new KernelSession(options);
}
