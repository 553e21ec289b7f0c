// What a snapshot is: the immutable record of one completed query. Its data (Arrow IPC) is
// stored under the data's own sha256; its metadata under an id that is the hash of the
// metadata itself, so neither can change without changing its name.

import { createHash } from 'node:crypto';
import type { UserRef } from '../../../common/doc-schema';
import type { ColumnInfo } from '../arrow/pg-columns';

export interface SnapshotMeta {
  id: string;
  /** The notebook (fileId) and cell the query ran for: the snapshot follows that notebook's roles. */
  notebook: string;
  cellId: string;
  runId: string;
  /** The connection's name and type; never its address or credentials. */
  connection: { name: string; type: string };
  /** The query as it was written in the cell. */
  sql: string;
  normalizedSql: string;
  params: unknown[];
  /** Hash of connection, normalised SQL and parameters: which query this is a result of. */
  queryHash: string;
  ranBy: UserRef;
  /** Epoch ms: when the query was sent, and when its last row was stored (the data's age). */
  startedAt: number;
  finishedAt: number;
  rows: number;
  bytes: number;
  columns: ColumnInfo[];
  data: { format: 'arrow-ipc-stream'; sha256: string };
}

export type SnapshotDraft = Omit<SnapshotMeta, 'id'>;

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

export function sealSnapshot(draft: SnapshotDraft): SnapshotMeta {
  const id = createHash('sha256').update(canonical(draft)).digest('hex').slice(0, 32);
  return { id, ...draft };
}
