// Runs one query into a snapshot: waits its turn on the connection, streams the rows into an
// Arrow file, stores it, and records the fetch (on the cell's existing snapshot of the same rows,
// if there is one). It reports each step as it happens and stops at the database when its
// signal is aborted; a query that fails or is cancelled leaves no snapshot behind.

import type { UserRef } from '../../common/doc-schema';
import type { IpcFileWriter } from './arrow/ipc-file-writer';
import type { ResolvedConnection } from './connections';
import { type SnapshotMeta, sealSnapshot } from './snapshots/snapshot';
import type { PendingData, SnapshotStore } from './snapshots/snapshot-store';
import { QueryCancelled, QueryFailed, type SourcePhase } from './sources/source';
import type { SourceRegistry } from './sources/source-registry';
import { normalizeSql, queryHash } from './sql-cell';

/** Arrow (several MB of code) is loaded with the first query, so a server that runs none does not hold it. */
async function arrowWriting(): Promise<{ IpcFileWriter: typeof IpcFileWriter; columnFor: typeof columnFor }> {
  const [{ IpcFileWriter }, { columnFor }] = await Promise.all([import('./arrow/ipc-file-writer'), import('./arrow/pg-columns')]);
  return { IpcFileWriter, columnFor };
}

export type RunnerPhase = 'queued' | SourcePhase | 'storing';

export interface RunnerProgress {
  phase: RunnerPhase;
  rows: number;
  bytes: number;
  /** A note for people about the current phase. */
  message?: string;
}

export interface QueryRequest {
  connection: ResolvedConnection;
  sql: string;
  notebook: string;
  cellId: string;
  runId: string;
  ranBy: UserRef;
}

/** Lets a fixed number of queries run on one connection at a time, first come first served. */
class Turnstile {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async enter(signal: AbortSignal): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const go = () => {
        signal.removeEventListener('abort', onAbort);
        this.active++;
        resolve();
      };
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(go), 1);
        reject(new QueryCancelled());
      };
      this.waiting.push(go);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  leave(): void {
    this.active--;
    this.waiting.shift()?.();
  }
}

export class QueryRunner {
  private readonly turnstiles = new Map<string, Turnstile>();

  constructor(
    private readonly store: SnapshotStore,
    private readonly sources: SourceRegistry,
  ) {}

  /** Resolves with the stored snapshot; rejects with QueryFailed or QueryCancelled. */
  async run(request: QueryRequest, onProgress: (progress: RunnerProgress) => void, signal: AbortSignal): Promise<SnapshotMeta> {
    const { connection } = request;
    let turnstile = this.turnstiles.get(connection.name);
    if (!turnstile) {
      turnstile = new Turnstile(connection.maxConcurrent);
      this.turnstiles.set(connection.name, turnstile);
    }
    const progress: RunnerProgress = { phase: 'queued', rows: 0, bytes: 0 };
    const report = (patch: Partial<RunnerProgress>) => {
      Object.assign(progress, patch);
      onProgress({ ...progress });
    };
    report({});
    await turnstile.enter(signal);
    let pending: PendingData | undefined;
    let writer: IpcFileWriter | undefined;
    try {
      pending = await this.store.beginData();
      const { IpcFileWriter, columnFor } = await arrowWriting();
      writer = await IpcFileWriter.create(pending.path);
      const file = writer;
      const startedAt = Date.now();
      let columns: ReturnType<typeof columnFor>[] = [];
      await this.sources.get(connection).run(
        request.sql,
        {
          phase: (phase, message) => report({ phase, message }),
          columns: (fields) => {
            columns = fields.map((f) => columnFor(f.name, f.typeOid));
            file.setColumns(columns);
          },
          rows: async (rows) => {
            await file.append(rows);
            report({ rows: file.rowCount, bytes: file.byteCount });
          },
        },
        signal,
      );
      if (signal.aborted) throw new QueryCancelled();
      report({ phase: 'storing', message: undefined });
      const written = await file.finish();
      writer = undefined;
      await pending.commit(written.sha256);
      const normalizedSql = normalizeSql(request.sql);
      const fetched = sealSnapshot({
        notebook: request.notebook,
        cellId: request.cellId,
        runId: request.runId,
        connection: { name: connection.name, type: connection.type },
        sql: request.sql,
        normalizedSql,
        params: [],
        queryHash: queryHash(connection.name, normalizedSql, []),
        ranBy: request.ranBy,
        startedAt,
        finishedAt: Date.now(),
        rows: written.rows,
        bytes: written.bytes,
        columns,
        data: { format: 'arrow-ipc-stream', sha256: written.sha256 },
      });
      // The same rows as a snapshot this cell already has: that snapshot, with this fetch added.
      const meta = await this.store.record(fetched);
      report({ rows: written.rows, bytes: written.bytes });
      return meta;
    } catch (error) {
      await writer?.abort();
      await pending?.discard();
      if (error instanceof QueryFailed || error instanceof QueryCancelled) throw error;
      throw new QueryFailed(`The result could not be stored: ${(error as Error).message}`);
    } finally {
      turnstile.leave();
    }
  }
}
