// Tandem's execution API. Replies only say what was queued: results arrive in the document.
import type { ExecuteReply } from '@common/api';
import type { ExecutionRecord } from '@common/doc-schema';
import { request } from './http';

const base = (fileId: string): string => `/api/notebooks/${encodeURIComponent(fileId)}`;

/**
 * Queues cells. `after` is this client's Yjs state vector: the server waits until it has
 * everything in it, so the run includes the keystrokes sent just before.
 */
export async function execute(fileId: string, cellIds: string[], after?: Uint8Array): Promise<ExecutionRecord[]> {
  const body: { cellIds: string[]; after?: string } = { cellIds };
  if (after) body.after = btoa(String.fromCharCode(...after));
  const reply = await request<ExecuteReply>('POST', `${base(fileId)}/execute`, { body });
  return reply?.runs ?? [];
}

export type KernelAction = 'interrupt' | 'restart' | 'shutdown';

export function kernelAction(fileId: string, action: KernelAction): Promise<unknown> {
  return request<unknown>('POST', `${base(fileId)}/${action}`, { body: {} });
}

export function cancelRun(fileId: string, runId: string): Promise<unknown> {
  return request<unknown>('POST', `${base(fileId)}/executions/${encodeURIComponent(runId)}/cancel`, { body: {} });
}

export function answerInput(fileId: string, runId: string, value: string): Promise<unknown> {
  return request<unknown>('POST', `${base(fileId)}/executions/${encodeURIComponent(runId)}/input`, { body: { value } });
}
