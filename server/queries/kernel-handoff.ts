// How a SQL cell's result reaches the kernel. The cell runs as a line of Python that calls the
// helper package (`tandem.sql_cell.run_cell`) with a JSON spec. For a pinned snapshot the spec
// already holds the data file; for a query it names a status file that the server writes,
// atomically, when the query has been stored, has failed or was cancelled, and the helper waits
// for it. Kernel and server share nothing but local files, so this needs no network between them.

import { mkdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../storage/atomic-write';
import type { SnapshotMeta } from './snapshots/snapshot';

/** What the helper needs to load and describe a stored snapshot. */
export interface ReadySnapshot {
  state: 'ready';
  dataPath: string;
  snapshot: Pick<SnapshotMeta, 'id' | 'rows' | 'bytes' | 'columns' | 'finishedAt' | 'queryHash'> & { connection: string };
  pinned: boolean;
}

export type RunOutcome = ReadySnapshot | { state: 'error'; message: string } | { state: 'cancelled'; message: string };

export interface CellSpec {
  version: 1;
  /** Python name to bind the data frame to. */
  name: string;
  cellId: string;
  mode: 'reproducible' | 'live';
  reason: string;
  /** Known now (a pinned snapshot, or an error found before querying)... */
  outcome?: RunOutcome;
  /** ...or written to this file by the server later. */
  statusFile?: string;
}

export function readySnapshot(meta: SnapshotMeta, dataPath: string, pinned: boolean): ReadySnapshot {
  return {
    state: 'ready',
    dataPath,
    pinned,
    snapshot: {
      id: meta.id,
      rows: meta.rows,
      bytes: meta.bytes,
      columns: meta.columns,
      finishedAt: meta.finishedAt,
      queryHash: meta.queryHash,
      connection: meta.connection.name,
    },
  };
}

/** The Python the kernel runs in place of the SQL cell. */
export function kernelCode(spec: CellSpec): string {
  // JSON.stringify of a string is also a valid Python string literal.
  const literal = JSON.stringify(JSON.stringify(spec));
  return `__import__('tandem.sql_cell', fromlist=['run_cell']).run_cell(${literal})`;
}

/** The status files of runs waiting for their query. */
export class RunStatusFiles {
  constructor(private readonly dir: string) {
    // Runs of a previous server process are gone with its kernels.
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  pathFor(runId: string): string {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(runId)) throw new Error('invalid run id');
    return join(this.dir, `${runId}.json`);
  }

  write(runId: string, outcome: RunOutcome): Promise<void> {
    return writeFileAtomic(this.pathFor(runId), JSON.stringify(outcome), 0o600);
  }

  remove(runId: string): Promise<void> {
    return rm(this.pathFor(runId), { force: true });
  }
}
