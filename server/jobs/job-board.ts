// The `jobs` map of one open notebook: each headless run of it, as everyone on the notebook
// sees it (status, the cell being run, query progress). It is the notebook's listener of the
// jobs extension. Query progress is written at most four times a second: every write lands in
// the notebook's update log. Jobs run on whether or not the notebook is loaded: when it loads,
// the board shows the jobs running now, and marks failed those no process runs any more.

import type * as Y from 'yjs';
import type { ScheduleSpec } from '../../common/api';
import { JOBS_MAP, type JobProgress } from '../../common/doc-schema';
import type { NotebookExtension, NotebookListener } from '../notebooks/notebook-extension';
import type { OpenNotebook } from '../notebooks/open-notebook';
import type { Room } from '../rooms/room';
import { scheduleInDoc } from './schedule';

const QUERY_WRITE_MS = 250;
const KEEP_ENDED = 50;
const ACTIVE = new Set<JobProgress['status']>(['queued', 'running']);

export class JobBoard implements NotebookListener {
  private readonly map: Y.Map<JobProgress>;
  private readonly lastWrite = new Map<string, number>();
  private readonly meta: Y.Map<unknown>;
  private readonly onMeta: () => void;

  constructor(
    private readonly room: Room,
    running: readonly JobProgress[],
    scheduleChanged: (schedule: ScheduleSpec | undefined) => void,
  ) {
    this.map = room.doc.getMap<JobProgress>(JOBS_MAP);
    // The schedule travels in the notebook's metadata: whoever edits it there reschedules it.
    let schedule = JSON.stringify(scheduleInDoc(room.doc) ?? null);
    this.meta = room.doc.getMap('meta');
    this.onMeta = () => {
      const now = scheduleInDoc(room.doc);
      if (JSON.stringify(now ?? null) === schedule) return;
      schedule = JSON.stringify(now ?? null);
      scheduleChanged(now);
    };
    this.meta.observeDeep(this.onMeta);
    const runningIds = new Set(running.map((job) => job.id));
    const orphans = [...this.map.values()].filter((job) => ACTIVE.has(job.status) && !runningIds.has(job.id));
    if (!orphans.length && !running.length) return;
    room.transact(() => {
      for (const job of orphans)
        this.map.set(job.id, { ...job, status: 'failed', finishedAt: Date.now(), message: 'The server stopped before this job ended' });
      for (const job of running) this.map.set(job.id, job);
    });
  }

  write(progress: JobProgress, onlyQueryMoved = false): void {
    const now = Date.now();
    if (onlyQueryMoved && now - (this.lastWrite.get(progress.id) ?? 0) < QUERY_WRITE_MS) return;
    this.lastWrite.set(progress.id, now);
    this.room.transact(() => {
      this.map.set(progress.id, progress);
      if (!ACTIVE.has(progress.status)) this.prune();
    });
    if (!ACTIVE.has(progress.status)) this.lastWrite.delete(progress.id);
  }

  unload(): void {
    this.lastWrite.clear();
    this.meta.unobserveDeep(this.onMeta);
  }

  private prune(): void {
    const ended = [...this.map.values()].filter((job) => !ACTIVE.has(job.status)).sort((a, b) => b.queuedAt - a.queuedAt);
    for (const job of ended.slice(KEEP_ENDED)) this.map.delete(job.id);
  }
}

export class JobsExtension implements NotebookExtension<JobBoard> {
  /** What the job service runs now for a notebook; set once the service exists. */
  running: (fileId: string) => JobProgress[] = () => [];
  /** Where a change to a notebook's schedule goes; set once the scheduler exists. */
  scheduleChanged: (fileId: string, schedule: ScheduleSpec | undefined) => void = () => undefined;

  attach(notebook: OpenNotebook): JobBoard {
    return new JobBoard(notebook.room, this.running(notebook.fileId), (schedule) => this.scheduleChanged(notebook.fileId, schedule));
  }
}
