// The `executions` map: one record per requested run, so everyone sees the queue, who asked,
// timings, and the source that ran. Records are replaced whole on every change, and
// finished ones are pruned beyond the newest few hundred.

import * as Y from 'yjs';
import { EXECUTIONS_MAP, type ExecutionRecord, type ExecutionStatus, type UserRef } from '../../common/doc-schema';
import type { OutputTarget } from './output-writer';

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

  queue(id: string, cellId: string, source: string, requestedBy: UserRef): ExecutionRecord {
    const record: ExecutionRecord = {
      id,
      cellId,
      seq: ++this.seq,
      requestedBy,
      queuedAt: Date.now(),
      status: 'queued',
      source,
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
  failOrphans(message: string): void {
    const orphans = [...this.map.values()].filter((r) => ACTIVE.includes(r.status));
    if (!orphans.length) return;
    this.target.transact(() => {
      for (const record of orphans) this.map.set(record.id, { ...record, status: 'failed', finishedAt: Date.now(), message });
    });
  }

  prune(): void {
    const finished = [...this.map.values()].filter((r) => !ACTIVE.includes(r.status)).sort((a, b) => b.seq - a.seq);
    if (finished.length <= KEEP_FINISHED_RECORDS) return;
    this.target.transact(() => {
      for (const record of finished.slice(KEEP_FINISHED_RECORDS)) this.map.delete(record.id);
    });
  }
}
