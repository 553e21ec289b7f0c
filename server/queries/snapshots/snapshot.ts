// What a snapshot is: one result of one cell's query, named by its content. Its data (Arrow IPC)
// is stored under the data's own sha256, and its id is a hash of the query's identity and that
// data, so fetching the same rows again finds the same snapshot: the fetch is added to its list
// instead of storing a copy. Everything but that list is fixed once written.

import { createHash } from 'node:crypto';
import type { Snapshot, SnapshotFetch } from '../../../common/api';

/** A live notebook can fetch the same rows on every run: the list keeps the most recent ones. */
export const FETCHES_KEPT = 500;

/** The server's name for a snapshot's metadata: what the API sends. */
export type SnapshotMeta = Snapshot;

export type SnapshotDraft = Omit<SnapshotMeta, 'id' | 'fetches' | 'fetchCount'>;

const ID = /^[0-9a-f]{32}$/;

export function isSnapshotId(value: unknown): value is string {
  return typeof value === 'string' && ID.test(value);
}

/** JSON with object keys sorted, so equal metadata hashes equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The snapshot of one fetch: its id names the notebook, cell, query and data, not the fetch. */
export function sealSnapshot(draft: SnapshotDraft): SnapshotMeta {
  const identity = {
    notebook: draft.notebook,
    cellId: draft.cellId,
    connection: draft.connection,
    normalizedSql: draft.normalizedSql,
    params: draft.params,
    queryHash: draft.queryHash,
    rows: draft.rows,
    bytes: draft.bytes,
    columns: draft.columns,
    data: draft.data,
  };
  const id = createHash('sha256').update(canonical(identity)).digest('hex').slice(0, 32);
  const fetch: SnapshotFetch = { runId: draft.runId, by: draft.ranBy, startedAt: draft.startedAt, finishedAt: draft.finishedAt };
  return { id, ...draft, fetches: [fetch], fetchCount: 1 };
}

/** `stored` fetched once more: the new fetch is added, and the latest run's details shown. */
export function addFetch(stored: SnapshotMeta, fetched: SnapshotMeta): SnapshotMeta {
  const fetches = [...stored.fetches, ...fetched.fetches].sort((a, b) => a.finishedAt - b.finishedAt).slice(-FETCHES_KEPT);
  const latest = fetches[fetches.length - 1];
  return {
    ...stored,
    sql: latest === fetched.fetches[0] ? fetched.sql : stored.sql,
    runId: latest.runId,
    ranBy: latest.by,
    startedAt: latest.startedAt,
    finishedAt: latest.finishedAt,
    fetches,
    fetchCount: stored.fetchCount + fetched.fetchCount,
  };
}

/** Metadata written before snapshots recorded their fetches: its one run is its one fetch. */
export function withFetches(meta: Omit<SnapshotMeta, 'fetches' | 'fetchCount'> & Partial<SnapshotMeta>): SnapshotMeta {
  if (Array.isArray(meta.fetches) && typeof meta.fetchCount === 'number') return meta as SnapshotMeta;
  return { ...meta, fetches: [{ runId: meta.runId, by: meta.ranBy, startedAt: meta.startedAt, finishedAt: meta.finishedAt }], fetchCount: 1 };
}
