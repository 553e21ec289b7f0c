// What a kernel pod's status means for its kernel, in words for people: still coming (and why
// it waits), running (and where), or over (and why: out of memory, evicted, an image that could
// not be pulled, no node that can take it, failed).

import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { formatBytes } from './resources';

export type PodState = { kind: 'pending'; reason: string } | { kind: 'running'; ip: string } | { kind: 'ended'; reason: string; exitCode: number | null };

// Waiting reasons that will not resolve by waiting longer.
const IMAGE_PROBLEMS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
const BROKEN_CONFIG = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError', 'CrashLoopBackOff']);

export function podState(pod: V1Pod, memoryLimitBytes: number): PodState {
  const status = pod.status;
  const container = status?.containerStatuses?.find((c) => c.name === 'kernel');
  const terminated = container?.state?.terminated ?? container?.lastState?.terminated;
  if (status?.reason === 'Evicted')
    return { kind: 'ended', reason: `the kernel's pod was evicted: ${status.message ?? 'the node ran short of resources'}`, exitCode: null };
  if (terminated) return { kind: 'ended', reason: terminatedReason(terminated, memoryLimitBytes), exitCode: terminated.exitCode ?? null };
  if (status?.phase === 'Failed') {
    return { kind: 'ended', reason: `the kernel's pod failed${describe(status.reason, status.message)}`, exitCode: null };
  }
  if (status?.phase === 'Succeeded') return { kind: 'ended', reason: 'the kernel exited', exitCode: 0 };
  const waiting = container?.state?.waiting;
  if (waiting?.reason && IMAGE_PROBLEMS.has(waiting.reason)) {
    return { kind: 'ended', reason: `the image ${container?.image ?? ''} could not be pulled${describe(waiting.reason, waiting.message)}`, exitCode: null };
  }
  if (waiting?.reason && BROKEN_CONFIG.has(waiting.reason)) {
    return { kind: 'ended', reason: `the kernel's container could not start${describe(waiting.reason, waiting.message)}`, exitCode: null };
  }
  if (status?.phase === 'Running' && status.podIP && isRunning(container)) return { kind: 'running', ip: status.podIP };
  return { kind: 'pending', reason: pendingReason(pod, container) };
}

function terminatedReason(terminated: NonNullable<NonNullable<V1ContainerStatus['state']>['terminated']>, memoryLimitBytes: number): string {
  if (terminated.reason === 'OOMKilled') return `the kernel ran out of its ${formatBytes(memoryLimitBytes)} of memory`;
  const code = terminated.exitCode !== undefined ? ` with exit code ${terminated.exitCode}` : '';
  return `the kernel's container stopped${code}${describe(terminated.reason, terminated.message)}`;
}

function pendingReason(pod: V1Pod, container: V1ContainerStatus | undefined): string {
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False') return `waiting for a node that can take it${describe(scheduled.reason, scheduled.message)}`;
  if (!pod.spec?.nodeName) return 'waiting to be scheduled';
  const waiting = container?.state?.waiting;
  if (waiting?.reason === 'ContainerCreating' || !waiting) return `starting on node ${pod.spec.nodeName}`;
  return `waiting on node ${pod.spec.nodeName}${describe(waiting.reason, waiting.message)}`;
}

function isRunning(container: V1ContainerStatus | undefined): boolean {
  return container === undefined || container.state?.running !== undefined;
}

function describe(reason: string | undefined, message: string | undefined): string {
  const parts = [reason, message?.trim()].filter(Boolean);
  return parts.length ? ` (${parts.join(': ')})` : '';
}
