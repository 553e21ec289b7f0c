// When each step of a run happened, for the benchmark's breakdown of the warm run path
// (`--run-timings FILE`, off by default). Off, a mark is one comparison; on, each run's marks
// go to FILE as one JSON line once it finishes. Times are milliseconds since the epoch with
// sub-millisecond precision (performance.timeOrigin + performance.now()), the clock the
// benchmark's load process uses too.

import { appendFileSync } from 'node:fs';

/** The steps of a run, in the order they happen. */
export type RunStep =
  /** The execute request reached the server (its first byte read). */
  | 'arrived'
  /** The execute request reached the notebook's kernel (after parsing, validation and auth). */
  | 'request'
  /** The document holds everything the requester had typed (its state vector). */
  | 'sources'
  /**
   * The run's record is in the document. It is stored and sent with the server's other changes
   * of that turn of the event loop (Room.flush), before the reply to the request.
   */
  | 'recorded'
  /** Handed to the kernel session, which sends it when the kernel is free. */
  | 'enqueued'
  /** The kernel said it started the run. */
  | 'started'
  /** The run's first output arrived from the kernel. */
  | 'output'
  /** That output is in the document, stored and sent to clients (with the run's start, if held). */
  | 'written'
  | 'finished';

let file: string | null = null;
const pending = new Map<string, Partial<Record<RunStep, number>>>();

const now = (): number => performance.timeOrigin + performance.now();

export function enableRunTimings(path: string): void {
  file = path;
}

/** Marks a step of a run; the first mark of a step counts. */
export function markRun(runId: string, step: RunStep, at = now()): void {
  if (file === null) return;
  let marks = pending.get(runId);
  if (!marks) {
    marks = {};
    pending.set(runId, marks);
  }
  marks[step] ??= at;
  // Runs that never finish here (handed to another replica) must not pile up.
  if (pending.size > 10_000) pending.clear();
  if (step === 'finished') {
    pending.delete(runId);
    appendFileSync(file, `${JSON.stringify({ runId, ...marks })}\n`);
  }
}

/** The clock the marks use, for a step whose run id is not known yet (the request's arrival). */
export function runClock(): number | null {
  return file === null ? null : now();
}
