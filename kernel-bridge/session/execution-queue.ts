// The runs waiting for the kernel, first in first out.

import type { RunRequest } from './events';

export class ExecutionQueue {
  private runs: RunRequest[] = [];

  get size(): number {
    return this.runs.length;
  }

  get ids(): string[] {
    return this.runs.map((run) => run.runId);
  }

  has(runId: string): boolean {
    return this.runs.some((run) => run.runId === runId);
  }

  push(run: RunRequest): void {
    this.runs.push(run);
  }

  shift(): RunRequest | undefined {
    return this.runs.shift();
  }

  /** Takes one waiting run out of the queue; undefined if it is not waiting. */
  remove(runId: string): RunRequest | undefined {
    const index = this.runs.findIndex((run) => run.runId === runId);
    return index < 0 ? undefined : this.runs.splice(index, 1)[0];
  }

  /** Empties the queue, returning what was in it, oldest first. */
  drain(): RunRequest[] {
    const runs = this.runs;
    this.runs = [];
    return runs;
  }
}
