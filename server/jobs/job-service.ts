// Jobs on a running server: starts them (from the live document's current content, read and
// never written), keeps the running ones, shows their progress on their notebook, cancels
// them, stores each ended one as its run record, and publishes records as reports.

import { randomUUID } from 'node:crypto';
import type { JobParameters, JobRecord, JobSummary, Report } from '../../common/api';
import type { JobMode, JobProgress, UserRef } from '../../common/doc-schema';
import type { NotebookJSON } from '../../common/nbformat';
import type { ShareStore } from '../auth/shares';
import type { RootPaths } from '../contents/paths';
import { conflict, notFound, tooMany } from '../errors';
import { notebookFromDoc } from '../notebook/notebook-doc';
import type { OpenNotebooks } from '../notebooks/open-notebooks';
import type { RoomHost } from '../notebooks/room-host';
import type { FileIdIndex } from '../storage/file-ids';
import { environmentChanges } from './environment-change';
import type { JobsExtension } from './job-board';
import type { JobInput, JobRunner } from './job-runner';
import type { JobStore, StoredRecord } from './job-store';
import { diffRuns } from './output-diff';
import { checkParameters, withoutInjectedParameters } from './parameters';
import { reportOf } from './report';

export interface JobServiceOptions {
  runner: JobRunner;
  store: JobStore;
  notebooks: OpenNotebooks;
  /** Where the live document is read from: in a cluster, a replica that does not own the notebook relays it. */
  rooms: RoomHost;
  fileIds: FileIdIndex;
  paths: RootPaths;
  boards: JobsExtension;
  shares: ShareStore;
  /** Jobs that run at once (each has a kernel of its own); later ones wait, queued. */
  maxRunning: number;
  log: { error(obj: object, msg?: string): void };
}

/** Jobs one person may have queued or running at once, so that nobody fills the queue alone. */
const MAX_JOBS_PER_PERSON = 10;

/** How many runs a notebook's listing gives: the Runs panel shows the recent ones. */
const LIST_LIMIT = 100;

interface Running {
  input: JobInput;
  progress: JobProgress;
  controller: AbortController;
  done: Promise<JobRecord>;
}

export class JobService {
  private readonly running = new Map<string, Running>();
  /** Jobs holding one of the `maxRunning` slots, and those waiting for one, first come first. */
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly options: JobServiceOptions) {
    options.boards.running = (fileId) => [...this.running.values()].filter((job) => job.input.fileId === fileId).map((job) => job.progress);
  }

  /** Starts a job of the notebook as it stands now; throws for a missing notebook or unknown parameters. */
  async start(fileId: string, request: { mode: JobMode; parameters: JobParameters }, startedBy: UserRef): Promise<string> {
    const path = this.options.fileIds.pathOf(fileId);
    if (path === undefined) throw notFound(`No notebook with file id ${fileId}`);
    const room = await this.options.rooms.openRoom(fileId);
    let notebook: NotebookJSON;
    try {
      notebook = notebookFromDoc(room.room.doc);
    } finally {
      room.release();
    }
    checkParameters(notebook, request.parameters);
    return this.launch({ fileId, path, notebook, mode: request.mode, parameters: request.parameters, startedBy });
  }

  /**
   * Re-runs an ended record as it ran: its notebook and parameters, the snapshot each SQL cell
   * loaded, and an environment built from the same specification. Its record ends with the diff.
   */
  async reproduce(id: string, startedBy: UserRef): Promise<string> {
    const original = await this.options.store.get(id);
    if (!original) throw this.running.has(id) ? conflict('This job has not ended yet; reproduce it once it has') : notFound(`No job with id ${id}`);
    if (!original.executed) throw conflict('This job ended before it ran anything, so there is nothing to reproduce');
    const notebook = withoutInjectedParameters(original.executed as unknown as NotebookJSON);
    return this.launch({
      fileId: original.notebook.fileId,
      path: original.notebook.path,
      notebook,
      mode: 'reproducible',
      parameters: original.parameters,
      startedBy,
      reproduces: id,
      snapshots: Object.fromEntries(original.snapshots.map((s) => [s.cellId, s.snapshotId])),
    });
  }

  private launch(request: Omit<JobInput, 'id' | 'queuedAt' | 'absolutePath'>): string {
    const username = request.startedBy.username;
    const mine = [...this.running.values()].filter((job) => job.input.startedBy.username === username).length;
    if (mine >= MAX_JOBS_PER_PERSON) {
      throw tooMany(
        `You already have ${mine} jobs queued or running, and one person may have at most ${MAX_JOBS_PER_PERSON}. Wait for some to finish, or cancel them.`,
        'too_many_jobs',
      );
    }
    const id = randomUUID();
    const queuedAt = Date.now();
    const input: JobInput = { ...request, id, queuedAt, absolutePath: this.options.paths.resolve(request.path).absolute };
    const progress: JobProgress = { id, mode: request.mode, status: 'queued', startedBy: request.startedBy, queuedAt };
    const controller = new AbortController();
    const job = { input, progress, controller } as Running;
    this.running.set(id, job);
    this.show(job);
    job.done = this.execute(job);
    return id;
  }

  /** Whether this server runs the job or has its record (in a cluster, a job runs on one replica). */
  async has(id: string): Promise<boolean> {
    return this.running.has(id) || (await this.options.store.get(id)) !== undefined;
  }

  /** A running job's state, or an ended job's record. */
  async get(id: string): Promise<JobRecord> {
    const job = this.running.get(id);
    if (job) return pendingRecord(job.input, job.progress);
    const record = await this.options.store.get(id);
    if (!record) throw notFound(`No job with id ${id}`);
    return record;
  }

  /** The notebook's runs, newest first: those running now, then its stored records. */
  async list(fileId: string, limit = LIST_LIMIT): Promise<JobSummary[]> {
    if (this.options.fileIds.pathOf(fileId) === undefined) throw notFound(`No notebook with file id ${fileId}`);
    const running = [...this.running.values()].filter((job) => job.input.fileId === fileId).map((job) => pendingRecord(job.input, job.progress));
    const stored = await this.options.store.list(fileId, limit);
    // A job that has just ended is stored before it leaves the running ones: its record wins.
    const ids = new Set(stored.map((record) => record.id));
    const records = [...running.filter((record) => !ids.has(record.id)), ...stored].sort((a, b) => b.queuedAt - a.queuedAt).slice(0, limit);
    const publications = await Promise.all(records.map((record) => (ids.has(record.id) ? this.options.store.publication(record.id) : undefined)));
    return records.map((record, i) => summaryOf(record, publications[i]?.publishedAt ?? null));
  }

  cancel(id: string): void {
    const job = this.running.get(id);
    if (!job) throw conflict('This job is not running: only a queued or running job can be cancelled');
    job.controller.abort();
  }

  /** Publishes an ended, successful run: a reader link that reaches its report and nothing else. */
  async publish(id: string, by: string, showCode: boolean): Promise<{ fileId: string; token: string }> {
    const record = await this.get(id);
    if (record.status !== 'ok') {
      const why = record.status === 'queued' || record.status === 'running' ? 'it has not finished yet' : `it ended ${record.status}`;
      throw conflict(`Only a job that ran every cell can be published; ${why}`);
    }
    const fileId = record.notebook.fileId;
    const { share, token } = this.options.shares.create(fileId, 'reader', by, id);
    await this.options.store.publish(id, { publishedAt: Date.now(), publishedBy: by, showCode, shareId: share.id });
    return { fileId, token };
  }

  /** Any ended run as a read-only page, code included, for people who may read its notebook. */
  async view(id: string): Promise<{ fileId: string; report: Report }> {
    const record = await this.options.store.get(id);
    if (!record) throw notFound(`No run with id ${id}`);
    const ranAt = record.finishedAt ?? record.queuedAt;
    return {
      fileId: record.notebook.fileId,
      report: reportOf(record, { publishedAt: ranAt, publishedBy: record.startedBy.username, showCode: true, shareId: '' }),
    };
  }

  /** A published run as its readers see it, with the notebook it came from (for the caller's role check). */
  async report(id: string): Promise<{ fileId: string; report: Report }> {
    const [record, publication] = await Promise.all([this.options.store.get(id), this.options.store.publication(id)]);
    if (!record || !publication) throw notFound(`No report with id ${id}`);
    return { fileId: record.notebook.fileId, report: reportOf(record, publication) };
  }

  /** Cancels every running job and waits for their records (server shutdown). */
  async close(): Promise<void> {
    for (const job of this.running.values()) job.controller.abort();
    await Promise.all([...this.running.values()].map((job) => job.done));
  }

  /** The job's record once it has ended. */
  async wait(id: string): Promise<JobRecord> {
    const job = this.running.get(id);
    return job ? job.done : this.get(id);
  }

  /** Waits for a free slot (or for the job to be cancelled while it waits). */
  private async slot(signal: AbortSignal): Promise<() => void> {
    if (this.active >= this.options.maxRunning && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const go = () => {
          signal.removeEventListener('abort', leave);
          resolve();
        };
        const leave = () => {
          const at = this.waiting.indexOf(go);
          if (at >= 0) this.waiting.splice(at, 1);
          resolve();
        };
        this.waiting.push(go);
        signal.addEventListener('abort', leave, { once: true });
      });
    }
    this.active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
      this.waiting.shift()?.();
    };
  }

  private async execute(job: Running): Promise<JobRecord> {
    let record: JobRecord;
    const release = await this.slot(job.controller.signal);
    try {
      record = await this.options.runner.run(job.input, job.controller.signal, (patch) => {
        const onlyQuery = Object.keys(patch).every((key) => key === 'query');
        job.progress = { ...job.progress, ...patch };
        this.show(job, onlyQuery);
      });
    } catch (error) {
      this.options.log.error({ err: error, jobId: job.input.id }, 'a job failed unexpectedly');
      const finishedAt = Date.now();
      record = {
        ...pendingRecord(job.input, job.progress),
        status: 'failed',
        finishedAt,
        failure: { cellId: null, cellIndex: null, ename: 'JobError', evalue: 'The job failed on the server; its log says why' },
      };
    } finally {
      release();
    }
    if (job.input.reproduces && record.status !== 'cancelled') record = await this.compare(job.input.reproduces, record);
    try {
      await this.options.store.save(record);
    } catch (error) {
      this.options.log.error({ err: error, jobId: job.input.id }, 'could not store a run record');
    }
    this.running.delete(job.input.id);
    const message = record.failure ? `${record.failure.ename}: ${record.failure.evalue}` : undefined;
    job.progress = {
      ...job.progress,
      status: record.status,
      finishedAt: record.finishedAt ?? Date.now(),
      query: undefined,
      ...(message ? { message } : {}),
    };
    this.show(job);
    return record;
  }

  private async compare(originalId: string, record: JobRecord): Promise<JobRecord> {
    const original = await this.options.store.get(originalId);
    if (!original) return record;
    const environmentChange =
      original.environment !== record.environment
        ? { from: original.environment, to: record.environment, changes: environmentChanges(original.environmentDetail, record.environmentDetail) }
        : null;
    return { ...record, diff: diffRuns(original, record), environmentChange };
  }

  private show(job: Running, onlyQueryMoved = false): void {
    const notebook = this.options.notebooks.get(job.input.fileId);
    notebook?.listener(this.options.boards).write(stripUndefined(job.progress), onlyQueryMoved);
  }
}

function pendingRecord(input: JobInput, progress: JobProgress): JobRecord {
  return {
    id: input.id,
    notebook: { fileId: input.fileId, path: input.path },
    mode: input.mode,
    status: progress.status,
    parameters: input.parameters,
    environment: null,
    snapshots: [],
    startedBy: input.startedBy,
    queuedAt: input.queuedAt,
    startedAt: progress.startedAt ?? null,
    finishedAt: null,
    durationMs: null,
    failure: null,
    executed: null,
    reproduces: input.reproduces ?? null,
    diff: null,
    environmentChange: null,
  };
}

function summaryOf(record: StoredRecord, publishedAt: number | null): JobSummary {
  const fetched = record.snapshots.map((s) => s.fetchedAt);
  const count = (status: 'identical' | 'changed' | 'failed') => record.diff?.filter((cell) => cell.status === status).length ?? 0;
  return {
    id: record.id,
    mode: record.mode,
    status: record.status,
    parameters: record.parameters,
    startedBy: record.startedBy,
    queuedAt: record.queuedAt,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    durationMs: record.durationMs,
    failure: record.failure,
    dataFetchedAt: fetched.length ? Math.min(...fetched) : null,
    reproduces: record.reproduces,
    reproduction: record.diff
      ? { identical: count('identical'), changed: count('changed'), failed: count('failed'), environmentChanged: record.environmentChange !== null }
      : null,
    publishedAt,
  };
}

/** Yjs values must be JSON: undefined fields are dropped. */
function stripUndefined(progress: JobProgress): JobProgress {
  return JSON.parse(JSON.stringify(progress)) as JobProgress;
}
