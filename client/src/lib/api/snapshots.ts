// SQL cells' snapshots: the immutable results of their queries, newest first, and the choice of
// which one a cell loads. Pinning needs the editor role; a refresh (query again and re-pin), the
// runner role. Results and the new choice arrive through the document.
import type { Snapshot, SnapshotList } from '@common/api';
import { request } from './http';

export type { Snapshot } from '@common/api';

const cellBase = (fileId: string, cellId: string): string => `/api/notebooks/${encodeURIComponent(fileId)}/cells/${encodeURIComponent(cellId)}`;

export async function listSnapshots(fileId: string, cellId: string, signal?: AbortSignal): Promise<Snapshot[]> {
  const query = `notebook=${encodeURIComponent(fileId)}&cell=${encodeURIComponent(cellId)}`;
  const reply = await request<SnapshotList>('GET', `/api/snapshots?${query}`, { signal });
  return reply?.snapshots ?? [];
}

/** The cell's next run (in a reproducible notebook) loads this snapshot. */
export function pinSnapshot(fileId: string, cellId: string, snapshotId: string): Promise<unknown> {
  return request<unknown>('POST', `${cellBase(fileId, cellId)}/snapshot`, { body: { snapshotId } });
}

/** The cell's next run queries again, and pins what it gets. */
export function unpinSnapshot(fileId: string, cellId: string): Promise<unknown> {
  return request<unknown>('DELETE', `${cellBase(fileId, cellId)}/snapshot`);
}

/** Runs the SQL cell once with a fresh query, re-pinning its result whatever is pinned. */
export function refreshCell(fileId: string, cellId: string): Promise<unknown> {
  return request<unknown>('POST', `${cellBase(fileId, cellId)}/refresh`, { body: {} });
}

/** Where the rows themselves can be downloaded, as an Arrow IPC stream. */
export function snapshotDataUrl(snapshotId: string): string {
  return `/api/snapshots/${encodeURIComponent(snapshotId)}/data`;
}
