// Scheduled jobs. Each notebook whose metadata carries a schedule runs as a live job when its
// cron expression comes due; a good run becomes what the schedule's report shows, and a failed
// one leaves the last good report up, marked. At most one scheduled run per notebook at a
// time; a run missed while the server was down runs once at start-up, not once per miss. What
// it knows of each schedule (the last run, the last good one, the report's id) is kept in
// STATE/schedules.json; the schedule itself lives in the notebook. Replicas of a cluster share
// that file (shared-json-file.ts), and only one of them, the holder of the scheduler's lease,
// runs what comes due (`active`).

import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Report, ScheduleInfo, ScheduleSpec } from '../../common/api';
import type { JobStatus } from '../../common/doc-schema';
import { isJSONObject } from '../../common/nbformat';
import { conflict, notFound } from '../errors';
import type { FileIdIndex } from '../storage/file-ids';
import { SharedJsonFile } from '../storage/shared-json-file';
import type { JobService } from './job-service';
import type { JobStore } from './job-store';
import { reportOf } from './report';
import { nextRun, nextRuns, scheduleIn } from './schedule';

export interface SchedulerOptions {
  jobs: JobService;
  store: JobStore;
  fileIds: FileIdIndex;
  root: string;
  stateDir: string;
  /** Told after every write of the schedules file (to store it beyond this machine). */
  stored?: (path: string) => void;
  /** 'system' ticks on a timer; 'manual' only when tick() is called (tests drive the clock). */
  clock: 'system' | 'manual';
  /** Whether this process runs what comes due (in a cluster, one replica does); always, alone. */
  active?: () => boolean;
  log: { warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
}

type States = Map<string, ScheduleState>;

function parseStates(json: unknown): States {
  const stored = json as { schedules?: ScheduleState[] };
  return new Map((stored.schedules ?? []).map((state) => [state.fileId, state]));
}

function serialise(states: States): string {
  return JSON.stringify({ version: 1, schedules: [...states.values()] });
}

interface ScheduleState {
  fileId: string;
  schedule: ScheduleSpec;
  /** Epoch ms up to which due times have been handled. */
  checkedAt: number;
  reportId: string;
  lastRun?: { jobId: string; status: JobStatus; at: number; message?: string };
  lastGood?: string;
}

const SCHEDULER = { username: 'scheduler', name: 'Schedule', color: '#6b7280' };
const TICK_MS = 15_000;

export class Scheduler {
  private readonly running = new Map<string, Promise<void>>();
  private readonly file: SharedJsonFile<States>;
  private timer: NodeJS.Timeout | undefined;
  private unreadable = false;

  constructor(private readonly options: SchedulerOptions) {
    this.file = new SharedJsonFile(join(options.stateDir, 'schedules.json'), () => new Map(), parseStates, options.stored);
  }

  /** The schedules as stored now (another replica may have changed them). */
  private states(): States {
    try {
      return this.file.read();
    } catch (error) {
      if (!this.unreadable) this.options.log.warn({ err: error }, 'could not read the schedules; going on without their history');
      this.unreadable = true;
      return new Map();
    }
  }

  /** Changes the stored schedules, keeping what other replicas changed meanwhile. */
  private change(mutate: (states: States) => void): void {
    try {
      this.file.update(mutate, serialise);
    } catch (error) {
      this.options.log.error({ err: error }, 'could not store the schedules');
    }
  }

  /** Finds the schedules in the notebooks under the root, then runs what came due while the server was down. */
  async start(): Promise<void> {
    const found = new Map<string, ScheduleSpec>();
    for (const path of await notebooksUnder(this.options.root)) {
      try {
        const nb = JSON.parse(await readFile(path, 'utf8')) as unknown;
        const schedule = isJSONObject(nb) && isJSONObject(nb.metadata) ? scheduleIn(nb.metadata) : undefined;
        if (schedule) found.set(this.options.fileIds.ensure(relative(this.options.root, path).split(sep).join('/')), schedule);
      } catch {
        // Not a notebook we can read: it has no schedule we could run either.
      }
    }
    this.change((states) => {
      for (const fileId of states.keys()) if (!found.has(fileId)) states.delete(fileId);
    });
    for (const [fileId, schedule] of found) this.set(fileId, schedule);
    if (this.options.clock === 'system') {
      this.timer = setInterval(() => this.tick(Date.now()), TICK_MS);
      this.timer.unref();
      this.tick(Date.now());
    }
  }

  /** A notebook's schedule as its metadata now says (undefined: it has none). */
  set(fileId: string, schedule: ScheduleSpec | undefined): void {
    const state = this.states().get(fileId);
    if (!schedule) {
      if (state) this.change((states) => states.delete(fileId));
      return;
    }
    if (state && sameSchedule(state.schedule, schedule)) return;
    // A new or changed schedule counts from now: it does not run for times before it existed.
    this.change((states) => {
      states.set(fileId, { ...(states.get(fileId) ?? { reportId: randomUUID() }), fileId, schedule, checkedAt: Date.now() });
    });
  }

  /** Starts the runs that are due at `now`; returns when they have started. */
  tick(now: number): string[] {
    if (this.options.active && !this.options.active()) return [];
    const due = [...this.states().values()].filter((state) => {
      if (this.running.has(state.fileId)) return false;
      const next = nextRun(state.schedule, new Date(state.checkedAt));
      return next !== undefined && next.getTime() <= now;
    });
    if (!due.length) return [];
    this.change((states) => {
      for (const { fileId } of due) {
        const state = states.get(fileId);
        if (state) state.checkedAt = now;
      }
    });
    for (const { fileId } of due) {
      const run = this.run(fileId).finally(() => this.running.delete(fileId));
      this.running.set(fileId, run);
    }
    return due.map((state) => state.fileId);
  }

  info(fileId: string, now = Date.now()): ScheduleInfo {
    const state = this.states().get(fileId);
    if (!state) throw notFound('This notebook has no schedule');
    return {
      schedule: state.schedule,
      nextRuns: nextRuns(state.schedule, 5, new Date(Math.max(now, state.checkedAt))).map((d) => d.toISOString()),
      lastRun: state.lastRun ? { jobId: state.lastRun.jobId, status: state.lastRun.status, at: state.lastRun.at } : null,
      lastGood: state.lastGood ?? null,
      reportId: state.reportId,
    };
  }

  /** The schedule whose report has this id, if any. */
  fileIdOfReport(reportId: string): string | undefined {
    for (const state of this.states().values()) if (state.reportId === reportId) return state.fileId;
    return undefined;
  }

  /** A schedule's report: its last good run, and whether the latest run failed. */
  async report(reportId: string): Promise<{ fileId: string; report: Report }> {
    const fileId = this.fileIdOfReport(reportId);
    const state = fileId ? this.states().get(fileId) : undefined;
    if (!state) throw notFound(`No report with id ${reportId}`);
    const record = state.lastGood ? await this.options.store.get(state.lastGood) : undefined;
    if (!record) throw conflict('This schedule has not had a good run yet; its report appears after the first one');
    const report = reportOf(record, { publishedAt: record.finishedAt ?? record.queuedAt, publishedBy: SCHEDULER.username, showCode: false, shareId: '' });
    const last = state.lastRun;
    const failed =
      last && last.status !== 'ok' && last.jobId !== state.lastGood ? { at: last.at, message: last.message ?? `The run ended ${last.status}` } : undefined;
    return { fileId: state.fileId, report: { ...report, id: reportId, ...(failed ? { lastRunFailed: failed } : {}) } };
  }

  /** Waits for scheduled runs in progress (server shutdown cancels them through the job service). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.allSettled(this.running.values());
  }

  private async run(fileId: string): Promise<void> {
    let lastRun: NonNullable<ScheduleState['lastRun']>;
    let good: string | undefined;
    try {
      const record = await this.options.jobs.wait(await this.options.jobs.start(fileId, { mode: 'live', parameters: {} }, SCHEDULER));
      const failure = record.failure ? `${record.failure.ename}: ${record.failure.evalue}` : undefined;
      lastRun = { jobId: record.id, status: record.status, at: record.finishedAt ?? Date.now(), ...(failure ? { message: failure } : {}) };
      if (record.status === 'ok') good = record.id;
    } catch (error) {
      // The notebook is gone, say: the run fails, and the schedule says why.
      lastRun = { jobId: '', status: 'failed', at: Date.now(), message: (error as Error).message };
    }
    this.change((states) => {
      const state = states.get(fileId);
      if (!state) return;
      state.lastRun = lastRun;
      if (good) state.lastGood = good;
    });
  }
}

function sameSchedule(a: ScheduleSpec, b: ScheduleSpec): boolean {
  return a.cron === b.cron && (a.timezone ?? 'UTC') === (b.timezone ?? 'UTC');
}

/** Every .ipynb under the root, skipping hidden folders (the state directory, with its environments, among them). */
async function notebooksUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await notebooksUnder(path)));
    else if (entry.isFile() && entry.name.endsWith('.ipynb')) found.push(path);
  }
  return found;
}
