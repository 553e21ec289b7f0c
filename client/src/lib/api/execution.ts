// Tandem's execution API. Replies only say what was queued: results arrive in the document.
import { request } from './http';

export interface QueuedRun {
  id: string;
  cellId: string;
  seq?: number;
  status?: string;
}

const base = (fileId: string): string => `/api/notebooks/${encodeURIComponent(fileId)}`;

export async function execute(fileId: string, cellIds: string[]): Promise<QueuedRun[]> {
  const reply = await request<{ runs?: QueuedRun[] }>('POST', `${base(fileId)}/execute`, { body: { cellIds } });
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
