// SQL cells in a notebook's run queue. When a SQL cell is queued, this decides which data it
// uses (its pinned snapshot, or a fresh query), starts the query on the server at once, and
// gives the kernel code that loads the result when it is stored. It keeps the `queries` map up
// to date, pins new snapshots in reproducible notebooks, and stops a query at the database when
// its run is cancelled, interrupted or dropped. `SqlCells` is the notebook extension, shared by
// all notebooks; each open notebook gets its own `NotebookSqlCells`.

import type { ExecutionStatus, QueryState, UserRef } from '../../common/doc-schema';
import type { QueuedRun, RunPlan, RunWork } from '../execution/run-records';
import type { NotebookExtension, NotebookListener } from '../notebooks/notebook-extension';
import type { Room } from '../rooms/room';
import { notebookMode, pinnedSnapshot, type QueryMode, setPin } from './cell-pins';
import type { ResolvedConnection } from './connections';
import { type CellSpec, kernelCode, type RunOutcome, type RunStatusFiles, readySnapshot } from './kernel-handoff';
import { QueryBoard } from './query-board';
import type { QueryRunner } from './query-runner';
import type { SnapshotMeta } from './snapshots/snapshot';
import type { SnapshotStore } from './snapshots/snapshot-store';
import { QueryCancelled } from './sources/source';
import type { SourceRegistry } from './sources/source-registry';
import { isSqlCell, normalizeSql, parseSqlCell, queryHash, type SqlCell, SqlCellError } from './sql-cell';

interface Logger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SqlCellsOptions {
  connections: Map<string, ResolvedConnection>;
  runner: QueryRunner;
  store: SnapshotStore;
  statusFiles: RunStatusFiles;
  /** Closed with the extension: connections to databases outlive single notebooks. */
  sources: Pick<SourceRegistry, 'closeAll'>;
  log: Logger;
}

const CANCELLED_AT_DATABASE = 'Cancelled: the query was stopped at the database';

export class SqlCells implements NotebookExtension<NotebookSqlCells> {
  constructor(private readonly options: SqlCellsOptions) {}

  attach(notebook: { room: Room }): NotebookSqlCells {
    return new NotebookSqlCells(notebook.room, this.options);
  }

  async dispose(): Promise<void> {
    await this.options.sources.closeAll();
  }
}

/** One open notebook's SQL cells: its `queries` map and the runs whose queries are in flight. */
export class NotebookSqlCells implements NotebookListener {
  private readonly board: QueryBoard;
  /** Aborts each query in flight, by run id. */
  private readonly queries = new Map<string, AbortController>();
  /** Cells whose next run was asked to query again ("refresh"). */
  private readonly refreshes = new Set<string>();
  private unloaded = false;

  constructor(
    private readonly room: Room,
    private readonly options: SqlCellsOptions,
  ) {
    this.board = new QueryBoard(room);
    // Queries a previous server process was running ended with it; say so instead of leaving
    // them "running" for ever in the document.
    QueryBoard.endOrphans(room, 'The server restarted before this query finished');
  }

  /** Plans a queued SQL cell. It never throws: problems become the cell's error. */
  async planRun(run: QueuedRun): Promise<RunPlan | undefined> {
    if (!isSqlCell(run.source) || this.unloaded) return undefined;
    const mode = notebookMode(this.room.doc);
    try {
      return await this.prepare(run, mode);
    } catch (error) {
      this.options.log.error({ err: error, fileId: run.fileId }, 'could not prepare a SQL cell');
      return { code: this.refuse(run, mode, '?', 'The server could not start this query; its log says why') };
    }
  }

  unload(): void {
    this.unloaded = true;
    for (const query of this.queries.values()) query.abort();
    this.board.dispose();
  }

  private async prepare(run: QueuedRun, mode: QueryMode): Promise<RunPlan> {
    const { board, room } = this;
    let cell: SqlCell;
    try {
      cell = parseSqlCell(run.source);
    } catch (error) {
      if (!(error instanceof SqlCellError)) throw error;
      return { code: this.refuse(run, mode, '?', error.message) };
    }
    const connection = this.options.connections.get(cell.connection);
    if (!connection) {
      const known = [...this.options.connections.keys()].join(', ');
      return {
        code: this.refuse(
          run,
          mode,
          cell.connection,
          `Unknown connection "${cell.connection}". This server has: ${known}. Name connections in the file given to --connections.`,
          cell.name,
        ),
      };
    }
    const refresh = this.refreshes.delete(run.cellId);
    const hash = queryHash(connection.name, normalizeSql(cell.sql), []);
    const pinId = pinnedSnapshot(room.doc, run.cellId);
    const pinned = pinId ? await this.options.store.get(pinId) : undefined;
    const base = {
      runId: run.runId,
      connection: connection.name,
      name: cell.name,
      mode,
      requestedBy: run.requestedBy,
      startedAt: Date.now(),
      elapsedMs: 0,
      rows: 0,
      bytes: 0,
    };

    if (mode === 'reproducible' && !cell.live && !refresh && pinned && this.usable(pinned, run.fileId, hash)) {
      const reason = 'Reproducible: using the pinned snapshot';
      board.start(run.cellId, { ...base, choice: 'pinned', reason, phase: 'loading', rows: pinned.rows, bytes: pinned.bytes, snapshot: ref(pinned, true) });
      const outcome = readySnapshot(pinned, this.dataPath(pinned), true);
      return { code: kernelCode({ version: 1, name: cell.name, cellId: run.cellId, mode, reason, outcome }), work: this.work(run, undefined) };
    }

    const pinResult = mode === 'reproducible';
    const reason = this.queryReason(mode, cell.live, refresh, pinId, pinned, run.fileId, hash);
    board.start(run.cellId, {
      ...base,
      choice: 'query',
      reason,
      phase: 'queued',
      ...(pinned && pinned.notebook === run.fileId ? { snapshot: ref(pinned, true) } : {}),
    });
    const controller = new AbortController();
    this.queries.set(run.runId, controller);
    void this.query(run, cell, connection, controller, pinResult);
    const spec: CellSpec = { version: 1, name: cell.name, cellId: run.cellId, mode, reason, statusFile: this.options.statusFiles.pathFor(run.runId) };
    return { code: kernelCode(spec), work: this.work(run, controller) };
  }

  /** What a SQL cell's run does beside the kernel: its query, then the loading of its result. */
  private work(run: QueuedRun, controller: AbortController | undefined): RunWork {
    return {
      // A started run whose query is still in flight is stopped at the database.
      cancel: () => {
        if (!controller || !this.queries.has(run.runId)) return undefined;
        controller.abort();
        return CANCELLED_AT_DATABASE;
      },
      finished: (status: ExecutionStatus) => {
        void this.options.statusFiles.remove(run.runId);
        if (this.queries.delete(run.runId)) {
          // The run ended before its query did (cancelled in the queue, interrupted, kernel gone).
          controller?.abort();
          return;
        }
        const state = this.board.get(run.cellId);
        if (state?.runId !== run.runId || state.phase !== 'loading') return;
        if (status === 'ok') this.board.update(run.cellId, run.runId, { phase: 'done' });
        else if (status === 'cancelled') this.board.update(run.cellId, run.runId, { phase: 'cancelled' });
        else this.board.update(run.cellId, run.runId, { phase: 'error', message: 'Loading the result into the kernel failed; the cell shows why' });
      },
    };
  }

  /** The next run of this cell queries again and re-pins, whatever is pinned. */
  requestRefresh(cellId: string): void {
    this.refreshes.add(cellId);
  }

  /** The refresh was not queued after all (the kernel could not start). */
  dropRefresh(cellId: string): void {
    this.refreshes.delete(cellId);
  }

  /** Someone pinned another snapshot (or unpinned): every viewer sees the new choice. */
  pinned(cellId: string, meta: SnapshotMeta | undefined, by: UserRef): void {
    if (meta)
      this.board.setSnapshot(cellId, { snapshot: ref(meta, true), choice: 'pinned', reason: `${by.name} pinned this snapshot; run the cell to load it` });
    else this.board.setSnapshot(cellId, { snapshot: undefined, choice: 'query', reason: `${by.name} unpinned the snapshot; the next run queries again` });
  }

  private async query(run: QueuedRun, cell: SqlCell, connection: ResolvedConnection, controller: AbortController, pin: boolean): Promise<void> {
    const update = (patch: Partial<QueryState>) => this.board.update(run.cellId, run.runId, patch);
    let outcome: RunOutcome;
    try {
      const meta = await this.options.runner.run(
        { connection, sql: cell.sql, notebook: run.fileId, cellId: run.cellId, runId: run.runId, ranBy: run.requestedBy },
        (progress) => update({ phase: progress.phase, rows: progress.rows, bytes: progress.bytes, message: progress.message }),
        controller.signal,
      );
      if (pin && !this.unloaded) setPin(this.room, run.cellId, meta.id);
      outcome = readySnapshot(meta, this.dataPath(meta), pin);
      update({ phase: 'loading', rows: meta.rows, bytes: meta.bytes, snapshot: ref(meta, pin), message: undefined });
    } catch (error) {
      const cancelled = error instanceof QueryCancelled;
      const message = cancelled ? CANCELLED_AT_DATABASE : (error as Error).message;
      if (!cancelled && !(error as Error).name.startsWith('Query'))
        this.options.log.error({ err: error, fileId: run.fileId }, 'a SQL cell failed unexpectedly');
      // The previously pinned snapshot stays the cell's choice.
      update({ phase: cancelled ? 'cancelled' : 'error', message });
      outcome = cancelled ? { state: 'cancelled', message: this.keptPinNote(run) } : { state: 'error', message };
    }
    // The run already ended (and took its query with it): nobody waits for the outcome.
    if (!this.queries.delete(run.runId)) return;
    await this.options.statusFiles.write(run.runId, outcome).catch((error: unknown) => {
      this.options.log.error({ err: error, fileId: run.fileId }, 'could not hand a SQL result to the kernel');
    });
  }

  private keptPinNote(run: QueuedRun): string {
    const pin = this.unloaded ? undefined : pinnedSnapshot(this.room.doc, run.cellId);
    return pin ? `${CANCELLED_AT_DATABASE}. The cell keeps its pinned snapshot ${pin.slice(0, 12)}.` : `${CANCELLED_AT_DATABASE}.`;
  }

  /** A pinned snapshot is used only for the same query, and only in the notebook it was made for. */
  private usable(meta: SnapshotMeta, fileId: string, hash: string): boolean {
    return meta.notebook === fileId && meta.queryHash === hash && this.options.store.localPath(meta) !== undefined;
  }

  private queryReason(
    mode: QueryMode,
    live: boolean,
    refresh: boolean,
    pinId: string | undefined,
    pinned: SnapshotMeta | undefined,
    fileId: string,
    hash: string,
  ): string {
    if (mode === 'live') return 'Live notebook: every run queries again';
    if (live) return '--live: querying again and re-pinning';
    if (refresh) return 'Refresh: querying again and re-pinning';
    if (!pinId) return 'Reproducible: no snapshot pinned yet; querying and pinning the result';
    if (!pinned || pinned.notebook !== fileId) return 'The pinned snapshot is not on this server; querying and pinning a new one';
    if (pinned.queryHash !== hash) return 'The query changed since its snapshot was pinned; querying and re-pinning';
    return 'Querying and pinning the result';
  }

  private refuse(run: QueuedRun, mode: QueryMode, connection: string, message: string, name = 'df'): string {
    this.board.start(run.cellId, {
      runId: run.runId,
      connection,
      name,
      mode,
      choice: 'query',
      reason: 'The cell cannot be run',
      phase: 'error',
      requestedBy: run.requestedBy,
      startedAt: Date.now(),
      elapsedMs: 0,
      finishedAt: Date.now(),
      rows: 0,
      bytes: 0,
      message,
    });
    return kernelCode({ version: 1, name, cellId: run.cellId, mode, reason: 'The cell cannot be run', outcome: { state: 'error', message } });
  }

  private dataPath(meta: SnapshotMeta): string {
    const path = this.options.store.localPath(meta);
    if (!path) throw new Error('snapshots must be on local disk for local kernels');
    return path;
  }
}

function ref(meta: SnapshotMeta, pinned: boolean) {
  return { id: meta.id, createdAt: meta.finishedAt, rows: meta.rows, pinned };
}
