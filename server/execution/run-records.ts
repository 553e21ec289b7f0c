// A requested run of a cell, and its record in the document. `Run` is what the server knows
// of a run while it is queued or running: the one record of truth, with the work tied to it
// (a SQL cell's query) hanging off it. The `executions` map is its projection for people: one
// record per run, so everyone sees the queue, who asked, timings, and the source that ran.
// Records are replaced whole on every change, and finished ones are pruned beyond the newest
// few hundred.

import type * as Y from 'yjs';
import { EXECUTIONS_MAP, type ExecutionRecord, type ExecutionStatus, type UserRef } from '../../common/doc-schema';
import type { OutputTarget } from './output-writer';

/** What a queued run is, for whoever prepares it. */
export interface QueuedRun {
  readonly fileId: string;
  readonly runId: string;
  readonly cellId: string;
  /** The cell's source when the run was requested: what runs, whatever is typed later. */
  readonly source: string;
  readonly requestedBy: UserRef;
}

/** Work the server does for a run besides the kernel's (a SQL cell's query). */
export interface RunWork {
  /**
   * Stops the work once the kernel has taken the run. Returns a message for people if there was
   * work to stop (the run then ends as cancelled), undefined if there was none.
   */
  cancel(): string | undefined;
  /** The run ended, however it ended, so that work started for it can stop. */
  finished(status: ExecutionStatus): void;
}

/** What the kernel runs for a queued cell, when it is not the cell's source as written. */
export interface RunPlan {
  code: string;
  work?: RunWork;
}

export class Run implements QueuedRun {
  started = false;
  /** Set when the run's work was stopped after it started: it ends as cancelled, with this message. */
  cancelled: string | undefined;
  work: RunWork | undefined;

  constructor(
    readonly fileId: string,
    readonly runId: string,
    readonly cellId: string,
    readonly source: string,
    readonly requestedBy: UserRef,
  ) {}
}

export const KEEP_FINISHED_RECORDS = 300;
const ACTIVE: ExecutionStatus[] = ['queued', 'running'];

export class RunRecords {
  private readonly map: Y.Map<ExecutionRecord>;
  private seq: number;

  constructor(private readonly target: OutputTarget) {
    this.map = target.doc.getMap<ExecutionRecord>(EXECUTIONS_MAP);
    let max = 0;
    for (const record of this.map.values()) max = Math.max(max, record.seq ?? 0);
    this.seq = max;
  }

  get(id: string): ExecutionRecord | undefined {
    return this.map.get(id);
  }

  queue(id: string, cellId: string, source: string, requestedBy: UserRef, via?: ExecutionRecord['via']): ExecutionRecord {
    const record: ExecutionRecord = {
      id,
      cellId,
      seq: ++this.seq,
      requestedBy,
      queuedAt: Date.now(),
      status: 'queued',
      source,
      ...(via ? { via } : {}),
    };
    this.target.transact(() => this.map.set(id, record));
    return record;
  }

  update(id: string, patch: Partial<ExecutionRecord>, remove: (keyof ExecutionRecord)[] = []): void {
    const record = this.map.get(id);
    if (!record) return;
    const next: ExecutionRecord = { ...record, ...patch };
    for (const key of remove) delete next[key];
    this.target.transact(() => this.map.set(id, next));
  }

  /**
   * Runs a previous server process left queued or running can never finish: say so.
   * Called once when the notebook's kernel is first set up in this process.
   */
  /** Fails the runs still shown as queued or running (or only running ones), as of a kernel that is gone. */
  failOrphans(message: string, statuses: ExecutionStatus[] = ACTIVE, except?: string): void {
    const orphans = [...this.map.values()].filter((r) => statuses.includes(r.status) && r.id !== except);
    if (!orphans.length) return;
    this.target.transact(() => {
      for (const record of orphans) this.map.set(record.id, { ...record, status: 'failed', finishedAt: Date.now(), message });
    });
  }

  /** The run the kernel is executing, as the document shows it. */
  running(): ExecutionRecord | undefined {
    return [...this.map.values()].find((r) => r.status === 'running');
  }

  /** Runs waiting their turn, in the order they were asked for. */
  queued(): ExecutionRecord[] {
    return [...this.map.values()].filter((r) => r.status === 'queued').sort((a, b) => a.seq - b.seq);
  }

  prune(): void {
    const finished = [...this.map.values()].filter((r) => !ACTIVE.includes(r.status)).sort((a, b) => b.seq - a.seq);
    if (finished.length <= KEEP_FINISHED_RECORDS) return;
    this.target.transact(() => {
      for (const record of finished.slice(KEEP_FINISHED_RECORDS)) this.map.delete(record.id);
    });
  }
}
