// SQL cells' snapshots: the immutable results of their queries, newest first, and the choice of
// which one a cell loads. Pinning needs the editor role; a refresh (query again and re-pin), the
// runner role. Results and the new choice arrive through the document.
import type { UserRef } from '@common/doc-schema';
import { request } from './http';

export interface SnapshotColumn {
  name: string;
  /** How the column reaches the kernel (int64, utf8, timestamp…). */
  kind: string;
  /** The database's own type name. */
  pgType: string;
}

/** One run that fetched a snapshot's rows. */
export interface SnapshotFetch {
  runId: string;
  by: UserRef;
  /** Epoch ms. */
  startedAt: number;
  finishedAt: number;
}

/**
 * One result of a cell's query, named by the query and its rows: a run that gets the same rows
 * again adds a fetch to it instead of making another snapshot.
 */
export interface Snapshot {
  id: string;
  notebook: string;
  cellId: string;
  /** The latest fetch's run (as are ranBy, startedAt and finishedAt). */
  runId: string;
  connection: { name: string; type: string };
  /** The query as it was written in the cell. */
  sql: string;
  normalizedSql: string;
  /** Which query this is a result of (connection, normalised SQL, parameters). */
  queryHash: string;
  ranBy: UserRef;
  /** Epoch ms, of the latest fetch; finishedAt is the data's age. */
  startedAt: number;
  finishedAt: number;
  rows: number;
  bytes: number;
  columns: SnapshotColumn[];
  data: { format: string; sha256: string };
  /** Every fetch that got these rows, oldest first (the most recent 500). */
  fetches: SnapshotFetch[];
  /** How many fetches got these rows in all. */
  fetchCount: number;
}

const cellBase = (fileId: string, cellId: string): string =>
  `/api/notebooks/${encodeURIComponent(fileId)}/cells/${encodeURIComponent(cellId)}`;

export async function listSnapshots(fileId: string, cellId: string, signal?: AbortSignal): Promise<Snapshot[]> {
  const query = `notebook=${encodeURIComponent(fileId)}&cell=${encodeURIComponent(cellId)}`;
  const reply = await request<{ snapshots?: Snapshot[] }>('GET', `/api/snapshots?${query}`, { signal });
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
