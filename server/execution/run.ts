// One requested run of a cell, as the server knows it while it is queued or running: the one
// record of truth for that run. The document's `executions` map (run-records.ts) is its
// projection for people; work tied to the run (a SQL cell's query) hangs off it as `work`.

import type { ExecutionStatus, UserRef } from '../../common/doc-schema';

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
