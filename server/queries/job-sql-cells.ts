// SQL cells in a headless job. Unlike the interactive queue (sql-cells.ts) a job writes nothing
// into the notebook: no `queries` map, no new pins. A reproducible job loads each cell's pinned
// snapshot (querying only a cell that has none usable); a live job queries every cell again.
// The query runs to its end before the cell's code is sent, so the kernel gets the outcome
// inline and no status file is needed. Each used snapshot is reported for the run record.

import type { JobSnapshot } from '../../common/api';
import type { JobMode, QueryPhase, UserRef } from '../../common/doc-schema';
import { isJSONObject, type JSONObject } from '../../common/nbformat';
import type { ResolvedConnection } from './connections';
import { kernelCode, type RunOutcome, readySnapshot } from './kernel-handoff';
import type { QueryRunner } from './query-runner';
import { isSnapshotId, type SnapshotMeta } from './snapshots/snapshot';
import type { SnapshotStore } from './snapshots/snapshot-store';
import { QueryCancelled } from './sources/source';
import { isSqlCell, normalizeSql, parseSqlCell, queryHash, SqlCellError } from './sql-cell';

export interface JobSqlOptions {
  connections: Map<string, ResolvedConnection>;
  runner: QueryRunner;
  store: SnapshotStore;
}

export interface JobSqlCell {
  fileId: string;
  cellId: string;
  runId: string;
  source: string;
  metadata: JSONObject;
  mode: JobMode;
  by: UserRef;
  /** Load exactly this snapshot (a reproduction re-runs on the data its original used). */
  snapshotId?: string;
}

export interface JobSqlPlan {
  code: string;
  /** The snapshot the cell loads, if it got one. */
  snapshot?: JobSnapshot;
}

export class JobSqlCells {
  constructor(private readonly options: JobSqlOptions) {}

  /** The code a SQL cell runs as in a job; undefined for other cells. Query failures become the cell's error. */
  async plan(cell: JobSqlCell, onProgress: (phase: QueryPhase, rows: number) => void, signal: AbortSignal): Promise<JobSqlPlan | undefined> {
    if (!isSqlCell(cell.source)) return undefined;
    const refuse = (message: string, name = 'df') => ({ code: this.code(cell, name, 'The cell cannot be run', { state: 'error', message }) });
    let parsed: ReturnType<typeof parseSqlCell>;
    try {
      parsed = parseSqlCell(cell.source);
    } catch (error) {
      if (error instanceof SqlCellError) return refuse(error.message);
      throw error;
    }
    const connection = this.options.connections.get(parsed.connection);
    if (!connection) return refuse(`Unknown connection "${parsed.connection}"`, parsed.name);

    if (cell.snapshotId !== undefined) {
      const meta = await this.options.store.get(cell.snapshotId);
      if (!meta || !this.options.store.localPath(meta))
        return refuse(`The snapshot ${cell.snapshotId.slice(0, 12)} the original run used is no longer stored`, parsed.name);
      const reason = 'Reproduction: loading the snapshot the original run used';
      return { code: this.code(cell, parsed.name, reason, readySnapshot(meta, this.dataPath(meta), true)), snapshot: used(cell, meta, true) };
    }
    const hash = queryHash(connection.name, normalizeSql(parsed.sql), []);
    const pinned = cell.mode === 'reproducible' && !parsed.live ? await this.pinned(cell, hash) : undefined;
    if (pinned) {
      const reason = 'Reproducible job: using the pinned snapshot';
      return { code: this.code(cell, parsed.name, reason, readySnapshot(pinned, this.dataPath(pinned), true)), snapshot: used(cell, pinned, true) };
    }
    const reason = cell.mode === 'live' ? 'Live job: querying again' : 'Reproducible job: no usable pinned snapshot; querying';
    try {
      const meta = await this.options.runner.run(
        { connection, sql: parsed.sql, notebook: cell.fileId, cellId: cell.cellId, runId: cell.runId, ranBy: cell.by },
        (progress) => onProgress(progress.phase, progress.rows),
        signal,
      );
      return { code: this.code(cell, parsed.name, reason, readySnapshot(meta, this.dataPath(meta), false)), snapshot: used(cell, meta, false) };
    } catch (error) {
      if (error instanceof QueryCancelled) return { code: this.code(cell, parsed.name, reason, { state: 'cancelled', message: 'The job was cancelled' }) };
      return { code: this.code(cell, parsed.name, reason, { state: 'error', message: (error as Error).message }) };
    }
  }

  private async pinned(cell: JobSqlCell, hash: string): Promise<SnapshotMeta | undefined> {
    const tandem = cell.metadata.tandem;
    const id = isJSONObject(tandem) ? tandem.snapshot : undefined;
    if (!isSnapshotId(id)) return undefined;
    const meta = await this.options.store.get(id);
    // The same rule as interactive runs: only the same query, in the notebook it was made for.
    if (!meta || meta.notebook !== cell.fileId || meta.queryHash !== hash || !this.options.store.localPath(meta)) return undefined;
    return meta;
  }

  private code(cell: JobSqlCell, name: string, reason: string, outcome: RunOutcome): string {
    return kernelCode({ version: 1, name, cellId: cell.cellId, mode: cell.mode, reason, outcome });
  }

  private dataPath(meta: SnapshotMeta): string {
    const path = this.options.store.localPath(meta);
    if (!path) throw new Error('snapshots must be on local disk for local kernels');
    return path;
  }
}

function used(cell: JobSqlCell, meta: SnapshotMeta, pinned: boolean): JobSnapshot {
  return { cellId: cell.cellId, snapshotId: meta.id, fetchedAt: meta.finishedAt, pinned };
}
