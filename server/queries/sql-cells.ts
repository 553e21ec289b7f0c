// SQL cells in a notebook's run queue. When a SQL cell is queued, this decides which data it
// uses (its pinned snapshot, or a fresh query), starts the query on the server at once, and
// gives the kernel code that loads the result when it is stored. It keeps the `queries` map up
// to date, pins new snapshots in reproducible notebooks, and stops a query at the database when
// its run is cancelled, interrupted or dropped.

import type { ExecutionStatus, QueryState, UserRef } from '../../common/doc-schema';
import type { PreparedRun } from '../execution/notebook-kernel';
import type { Room } from '../rooms/room';
import type { RoomManager } from '../rooms/room-manager';
import { notebookMode, pinnedSnapshot, setPin, type QueryMode } from './cell-pins';
import type { ResolvedConnection } from './connections';
import { kernelCode, readySnapshot, type CellSpec, type RunOutcome, type RunStatusFiles } from './kernel-handoff';
import { QueryBoard } from './query-board';
import type { QueryRunner } from './query-runner';
import { isSqlCell, normalizeSql, parseSqlCell, queryHash, SqlCellError, type SqlCell } from './sql-cell';
import type { SnapshotMeta } from './snapshots/snapshot';
import type { SnapshotStore } from './snapshots/snapshot-store';
import { QueryCancelled } from './sources/source';

interface Logger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SqlCellsOptions {
  rooms: RoomManager;
  connections: Map<string, ResolvedConnection>;
  runner: QueryRunner;
  store: SnapshotStore;
  statusFiles: RunStatusFiles;
  log: Logger;
}

interface ActiveRun {
  fileId: string;
  cellId: string;
  board: QueryBoard;
  /** Aborts the query while it is in flight; undefined once it has ended (or for pinned runs). */
  query: AbortController | undefined;
}

const CANCELLED_AT_DATABASE = 'Cancelled: the query was stopped at the database';

export class SqlCells {
  private readonly boards = new Map<string, QueryBoard>();
  private readonly runs = new Map<string, ActiveRun>();
  /** Cells whose next run was asked to query again ("refresh"), by `fileId cellId`. */
  private readonly refreshes = new Set<string>();

  constructor(private readonly options: SqlCellsOptions) {
    // Queries a previous server process was running ended with it; say so instead of leaving
    // them "running" for ever in the document.
    options.rooms.onLoad((open) => QueryBoard.endOrphans(open.room, 'The server restarted before this query finished'));
    options.rooms.onUnload((open) => {
      this.boards.get(open.room.fileId)?.dispose();
      this.boards.delete(open.room.fileId);
    });
  }

  /** The kernel registry's prepareRun hook. It never throws: problems become the cell's error. */
  prepareRun = async (run: PreparedRun): Promise<string | undefined> => {
    if (!isSqlCell(run.source)) return undefined;
    const open = this.options.rooms.get(run.fileId);
    if (!open) return undefined;
    const board = this.board(open.room);
    const mode = notebookMode(open.room.doc);
    try {
      return await this.prepare(run, open.room, board, mode);
    } catch (error) {
      this.options.log.error({ err: error, fileId: run.fileId }, 'could not prepare a SQL cell');
      return this.refuse(board, run, mode, '?', 'The server could not start this query; its log says why');
    }
  };

  private async prepare(run: PreparedRun, room: Room, board: QueryBoard, mode: QueryMode): Promise<string> {
    let cell: SqlCell;
    try {
      cell = parseSqlCell(run.source);
    } catch (error) {
      if (!(error instanceof SqlCellError)) throw error;
      return this.refuse(board, run, mode, '?', error.message);
    }
    const connection = this.options.connections.get(cell.connection);
    if (!connection) {
      const known = [...this.options.connections.keys()].join(', ');
      return this.refuse(board, run, mode, cell.connection, `Unknown connection "${cell.connection}". This server has: ${known}. Name connections in the file given to --connections.`, cell.name);
    }
    const refresh = this.refreshes.delete(`${run.fileId} ${run.cellId}`);
    const hash = queryHash(connection.name, normalizeSql(cell.sql), []);
    const pinId = pinnedSnapshot(room.doc, run.cellId);
    const pinned = pinId ? await this.options.store.get(pinId) : undefined;
    const base = { runId: run.runId, connection: connection.name, name: cell.name, mode, requestedBy: run.requestedBy, startedAt: Date.now(), elapsedMs: 0, rows: 0, bytes: 0 };

    if (mode === 'reproducible' && !cell.live && !refresh && pinned && this.usable(pinned, run.fileId, hash)) {
      const reason = 'Reproducible: using the pinned snapshot';
      board.start(run.cellId, { ...base, choice: 'pinned', reason, phase: 'loading', rows: pinned.rows, bytes: pinned.bytes, snapshot: ref(pinned, true) });
      this.runs.set(run.runId, { fileId: run.fileId, cellId: run.cellId, board, query: undefined });
      const outcome = readySnapshot(pinned, this.dataPath(pinned), true);
      return kernelCode({ version: 1, name: cell.name, cellId: run.cellId, mode, reason, outcome });
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
    this.runs.set(run.runId, { fileId: run.fileId, cellId: run.cellId, board, query: controller });
    void this.query(run, cell, connection, board, controller, pinResult);
    const spec: CellSpec = { version: 1, name: cell.name, cellId: run.cellId, mode, reason, statusFile: this.options.statusFiles.pathFor(run.runId) };
    return kernelCode(spec);
  }

  /** The kernel registry's onRunFinished hook. */
  onRunFinished = (runId: string, status: ExecutionStatus): void => {
    const active = this.runs.get(runId);
    if (!active) return;
    this.runs.delete(runId);
    void this.options.statusFiles.remove(runId);
    if (active.query) {
      // The run ended before its query did (cancelled in the queue, interrupted, kernel gone).
      active.query.abort();
      return;
    }
    const state = active.board.get(active.cellId);
    if (state?.runId !== runId || state.phase !== 'loading') return;
    if (status === 'ok') active.board.update(active.cellId, runId, { phase: 'done' });
    else if (status === 'cancelled') active.board.update(active.cellId, runId, { phase: 'cancelled' });
    else active.board.update(active.cellId, runId, { phase: 'error', message: 'Loading the result into the kernel failed; the cell shows why' });
  };

  /** The kernel registry's cancelRun hook: a started run whose query is still in flight. */
  cancelRun = (runId: string): string | undefined => {
    const active = this.runs.get(runId);
    if (!active?.query) return undefined;
    active.query.abort();
    return CANCELLED_AT_DATABASE;
  };

  /** The next run of this cell queries again and re-pins, whatever is pinned. */
  requestRefresh(fileId: string, cellId: string): void {
    this.refreshes.add(`${fileId} ${cellId}`);
  }

  /** The refresh was not queued after all (the kernel could not start). */
  dropRefresh(fileId: string, cellId: string): void {
    this.refreshes.delete(`${fileId} ${cellId}`);
  }

  /** Someone pinned another snapshot (or unpinned): every viewer sees the new choice. */
  pinned(room: Room, cellId: string, meta: SnapshotMeta | undefined, by: UserRef): void {
    const board = this.board(room);
    if (meta) board.setSnapshot(cellId, { snapshot: ref(meta, true), choice: 'pinned', reason: `${by.name} pinned this snapshot; run the cell to load it` });
    else board.setSnapshot(cellId, { snapshot: undefined, choice: 'query', reason: `${by.name} unpinned the snapshot; the next run queries again` });
  }

  async dispose(): Promise<void> {
    for (const active of this.runs.values()) active.query?.abort();
    for (const board of this.boards.values()) board.dispose();
    this.boards.clear();
  }

  private async query(run: PreparedRun, cell: SqlCell, connection: ResolvedConnection, board: QueryBoard, controller: AbortController, pin: boolean): Promise<void> {
    const update = (patch: Partial<QueryState>) => board.update(run.cellId, run.runId, patch);
    let outcome: RunOutcome;
    try {
      const meta = await this.options.runner.run(
        { connection, sql: cell.sql, notebook: run.fileId, cellId: run.cellId, runId: run.runId, ranBy: run.requestedBy },
        (progress) => update({ phase: progress.phase, rows: progress.rows, bytes: progress.bytes, message: progress.message }),
        controller.signal,
      );
      const open = this.options.rooms.get(run.fileId);
      if (pin && open) setPin(open.room, run.cellId, meta.id);
      outcome = readySnapshot(meta, this.dataPath(meta), pin);
      update({ phase: 'loading', rows: meta.rows, bytes: meta.bytes, snapshot: ref(meta, pin), message: undefined });
    } catch (error) {
      const cancelled = error instanceof QueryCancelled;
      const message = cancelled ? CANCELLED_AT_DATABASE : (error as Error).message;
      if (!cancelled && !(error as Error).name.startsWith('Query')) this.options.log.error({ err: error, fileId: run.fileId }, 'a SQL cell failed unexpectedly');
      // The previously pinned snapshot stays the cell's choice.
      update({ phase: cancelled ? 'cancelled' : 'error', message });
      outcome = cancelled ? { state: 'cancelled', message: this.keptPinNote(run) } : { state: 'error', message };
    }
    const active = this.runs.get(run.runId);
    if (!active) return;
    active.query = undefined;
    if (outcome.state !== 'ready') this.runs.delete(run.runId);
    await this.options.statusFiles.write(run.runId, outcome).catch((error: unknown) => {
      this.options.log.error({ err: error, fileId: run.fileId }, 'could not hand a SQL result to the kernel');
    });
  }

  private keptPinNote(run: PreparedRun): string {
    const open = this.options.rooms.get(run.fileId);
    const pin = open ? pinnedSnapshot(open.room.doc, run.cellId) : undefined;
    return pin ? `${CANCELLED_AT_DATABASE}. The cell keeps its pinned snapshot ${pin.slice(0, 12)}.` : `${CANCELLED_AT_DATABASE}.`;
  }

  /** A pinned snapshot is used only for the same query, and only in the notebook it was made for. */
  private usable(meta: SnapshotMeta, fileId: string, hash: string): boolean {
    return meta.notebook === fileId && meta.queryHash === hash && this.options.store.localPath(meta) !== undefined;
  }

  private queryReason(mode: QueryMode, live: boolean, refresh: boolean, pinId: string | undefined, pinned: SnapshotMeta | undefined, fileId: string, hash: string): string {
    if (mode === 'live') return 'Live notebook: every run queries again';
    if (live) return '--live: querying again and re-pinning';
    if (refresh) return 'Refresh: querying again and re-pinning';
    if (!pinId) return 'Reproducible: no snapshot pinned yet; querying and pinning the result';
    if (!pinned || pinned.notebook !== fileId) return 'The pinned snapshot is not on this server; querying and pinning a new one';
    if (pinned.queryHash !== hash) return 'The query changed since its snapshot was pinned; querying and re-pinning';
    return 'Querying and pinning the result';
  }

  private refuse(board: QueryBoard, run: PreparedRun, mode: QueryMode, connection: string, message: string, name = 'df'): string {
    board.start(run.cellId, {
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

  private board(room: Room): QueryBoard {
    let board = this.boards.get(room.fileId);
    if (!board) this.boards.set(room.fileId, (board = new QueryBoard(room)));
    return board;
  }
}

function ref(meta: SnapshotMeta, pinned: boolean) {
  return { id: meta.id, createdAt: meta.finishedAt, rows: meta.rows, pinned };
}
