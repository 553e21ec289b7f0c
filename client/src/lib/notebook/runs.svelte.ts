// What the server says about running: the kernel map, the executions map (the shared
// queue) and the queries map. Only the server writes these; we index them per cell.

import { EXECUTIONS_MAP, type ExecutionRecord, KERNEL_MAP, type KernelState, QUERIES_MAP, type QueryState } from '@common/doc-schema';
import * as Y from 'yjs';

export interface CellRunInfo {
  /** The cell's newest queued or running run. */
  active?: ExecutionRecord;
  /** 1-based place in the queue, for a queued run. */
  position?: number;
  /** The cell's newest finished run. */
  last?: ExecutionRecord;
}

const FINISHED = new Set(['ok', 'error', 'cancelled', 'interrupted', 'failed']);

function plain(v: unknown): unknown {
  return v instanceof Y.AbstractType ? v.toJSON() : v;
}

function isRecord(v: unknown): v is ExecutionRecord {
  if (!v || typeof v !== 'object') return false;
  const r = v as Partial<ExecutionRecord>;
  return typeof r.id === 'string' && typeof r.cellId === 'string' && typeof r.status === 'string';
}

export class RunsModel {
  kernel = $state.raw<KernelState>({});
  byCell = $state.raw(new Map<string, CellRunInfo>());
  /** The running run first, then the queued ones in order. */
  queue = $state.raw<ExecutionRecord[]>([]);
  /** Cell id -> its SQL query's state. */
  queries = $state.raw(new Map<string, QueryState>());

  /**
   * Whether a restart would cost anyone anything: a kernel that is up (or coming up) holds
   * everyone's variables, and queued runs would be cancelled. With no kernel, a dead one and
   * an empty queue, restarting only starts one, so the client need not ask first.
   */
  get restartLosesWork(): boolean {
    const status = this.kernel.status;
    const up = status === 'idle' || status === 'busy' || status === 'starting' || status === 'restarting' || status === 'provisioning';
    return up || this.queue.length > 0;
  }

  readonly #kernel: Y.Map<unknown>;
  readonly #executions: Y.Map<unknown>;
  readonly #queries: Y.Map<unknown>;
  #onKernel = (): void => {
    this.kernel = this.#kernel.toJSON() as KernelState;
  };
  #onExecutions = (): void => this.#index();
  #onQueries = (): void => {
    const next = new Map<string, QueryState>();
    for (const [cellId, value] of this.#queries.entries()) {
      const q = plain(value);
      // Only well-formed entries are shown; the server is the only writer.
      if (q && typeof q === 'object' && typeof (q as QueryState).phase === 'string') next.set(cellId, q as QueryState);
    }
    this.queries = next;
  };

  constructor(ydoc: Y.Doc) {
    this.#kernel = ydoc.getMap(KERNEL_MAP);
    this.#executions = ydoc.getMap(EXECUTIONS_MAP);
    this.#queries = ydoc.getMap(QUERIES_MAP);
    this.#kernel.observeDeep(this.#onKernel);
    this.#executions.observeDeep(this.#onExecutions);
    this.#queries.observeDeep(this.#onQueries);
    this.#onKernel();
    this.#index();
    this.#onQueries();
  }

  #index(): void {
    const records: ExecutionRecord[] = [];
    for (const value of this.#executions.values()) {
      const r = plain(value);
      if (isRecord(r)) records.push(r);
    }
    records.sort((a, b) => a.seq - b.seq);
    const byCell = new Map<string, CellRunInfo>();
    const info = (cellId: string): CellRunInfo => {
      let i = byCell.get(cellId);
      if (!i) {
        i = {};
        byCell.set(cellId, i);
      }
      return i;
    };
    const running = records.filter((r) => r.status === 'running');
    const queued = records.filter((r) => r.status === 'queued');
    for (const r of records) {
      if (FINISHED.has(r.status)) info(r.cellId).last = r;
    }
    for (const r of running) info(r.cellId).active = r;
    queued.forEach((r, i) => {
      const cell = info(r.cellId);
      // A cell queued twice shows its earliest place; a running run wins over a queued one.
      if (!cell.active) {
        cell.active = r;
        cell.position = i + 1;
      }
    });
    this.byCell = byCell;
    this.queue = [...running, ...queued];
  }

  dispose(): void {
    this.#kernel.unobserveDeep(this.#onKernel);
    this.#executions.unobserveDeep(this.#onExecutions);
    this.#queries.unobserveDeep(this.#onQueries);
  }
}
