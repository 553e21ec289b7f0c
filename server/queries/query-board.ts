// The `queries` map of one notebook, written by the server: each SQL cell's latest run, with its
// phase, elapsed time, rows and snapshot choice, so every viewer sees the same progress.
//
// Every write lands in the notebook's update log, so writes are throttled: at most one every
// 250 ms per cell (about 4 Hz) while a query is active, and one a second once it has run for a
// while; a phase change or the end of a run goes out at the next slot or at once.

import * as Y from 'yjs';
import { QUERIES_MAP, type QueryState } from '../../common/doc-schema';
import { type Room, SERVER_ORIGIN } from '../rooms/room';

const FAST_MS = 250;
const SLOW_MS = 1000;
/** After this long, elapsed-time updates slow down: people no longer watch every tick. */
const SLOW_AFTER_MS = 10_000;
const ACTIVE = new Set<QueryState['phase']>(['queued', 'connecting', 'running', 'fetching', 'storing', 'loading']);

interface CellEntry {
  state: QueryState;
  lastWrite: number;
  timer: NodeJS.Timeout | undefined;
}

export class QueryBoard {
  private readonly map: Y.Map<unknown>;
  private readonly cells = new Map<string, CellEntry>();

  constructor(private readonly room: Room) {
    this.map = room.doc.getMap(QUERIES_MAP);
  }

  /** Marks every active query in a freshly loaded document as ended, with a message. */
  static endOrphans(room: Room, message: string): void {
    const map = room.doc.getMap(QUERIES_MAP);
    const orphans = [...map.entries()].filter(([, state]) => ACTIVE.has((state as QueryState).phase));
    if (!orphans.length) return;
    room.transact(() => {
      const now = Date.now();
      for (const [cellId, state] of orphans) {
        const previous = state as QueryState;
        map.set(cellId, { ...previous, phase: 'error', message, finishedAt: now, elapsedMs: now - previous.startedAt });
      }
    }, SERVER_ORIGIN);
  }

  /** The cell's current state, as last set here or as found in the document. */
  get(cellId: string): QueryState | undefined {
    return this.cells.get(cellId)?.state ?? (this.map.get(cellId) as QueryState | undefined);
  }

  /** Starts a new run's state; written at once. */
  start(cellId: string, state: QueryState): void {
    const entry = this.cells.get(cellId);
    clearTimeout(entry?.timer);
    this.cells.set(cellId, { state, lastWrite: 0, timer: undefined });
    this.flush(cellId);
  }

  /** Changes the run's state if it is still the cell's latest run. */
  update(cellId: string, runId: string, patch: Partial<QueryState>): void {
    const entry = this.cells.get(cellId);
    if (!entry || entry.state.runId !== runId) return;
    entry.state = { ...entry.state, ...patch };
    if (!ACTIVE.has(entry.state.phase)) {
      entry.state.finishedAt ??= Date.now();
      entry.state.elapsedMs = entry.state.finishedAt - entry.state.startedAt;
      this.flush(cellId);
      return;
    }
    this.schedule(cellId, entry);
  }

  /** Sets the snapshot a cell uses outside any run (someone pinned another). */
  setSnapshot(cellId: string, patch: Pick<QueryState, 'snapshot' | 'choice' | 'reason'>): void {
    const current = this.get(cellId);
    if (!current) return;
    const entry = this.cells.get(cellId) ?? { state: current, lastWrite: 0, timer: undefined };
    entry.state = { ...entry.state, ...patch };
    this.cells.set(cellId, entry);
    this.flush(cellId);
  }

  dispose(): void {
    for (const entry of this.cells.values()) clearTimeout(entry.timer);
    this.cells.clear();
  }

  private schedule(cellId: string, entry: CellEntry): void {
    if (entry.timer) return;
    const interval = Date.now() - entry.state.startedAt > SLOW_AFTER_MS ? SLOW_MS : FAST_MS;
    const wait = Math.max(0, entry.lastWrite + interval - Date.now());
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      this.flush(cellId);
    }, wait);
  }

  private flush(cellId: string): void {
    const entry = this.cells.get(cellId);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    const now = Date.now();
    if (ACTIVE.has(entry.state.phase)) entry.state = { ...entry.state, elapsedMs: now - entry.state.startedAt };
    entry.lastWrite = now;
    const value = withoutUndefined(entry.state);
    this.room.transact(() => {
      this.map.set(cellId, value);
      this.pruneDeletedCells();
    }, SERVER_ORIGIN);
    // While the query is active, elapsed time keeps moving for everyone watching.
    if (ACTIVE.has(entry.state.phase)) this.schedule(cellId, entry);
  }

  /** Entries of cells that no longer exist go, so the map does not grow for ever. */
  private pruneDeletedCells(): void {
    if (this.map.size < 16) return;
    const ids = new Set<string>();
    for (const cell of this.room.doc.getArray('cells')) if (cell instanceof Y.Map) ids.add(String(cell.get('id')));
    for (const key of [...this.map.keys()]) if (!ids.has(key)) this.map.delete(key);
  }
}

// Yjs cannot encode undefined inside JSON values.
function withoutUndefined(state: QueryState): QueryState {
  return JSON.parse(JSON.stringify(state)) as QueryState;
}
