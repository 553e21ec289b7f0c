// One notebook's shared kernel, seen from the document: it turns requests to run cells into
// queued runs on the kernel session, and the session's events into the `kernel` and
// `executions` maps, cell states and outputs. Everyone in the room sees the same queue.

import { randomUUID } from 'node:crypto';
import * as Y from 'yjs';
import type { ExecuteReply } from '../../common/api';
import type { ExecutionRecord, ExecutionStatus, KernelState, UserRef } from '../../common/doc-schema';
import type { JSONObject, OutputJSON } from '../../common/nbformat';
import type { JupyterMessage, KernelHandle, RunFinishedEvent, RunFinishStatus, RunOutputEvent } from '../../kernel-bridge';
import { conflict, forbidden, invalid, notFound, tooMany, unavailable } from '../errors';
import type { KernelPatch, KernelStateWriter } from '../notebooks/kernel-state';
import { type Room, SERVER_ORIGIN } from '../rooms/room';
import type { OutputStore } from './output-store';
import { type OutputLimits, OutputWriter } from './output-writer';
import { type QueuedRun, Run, type RunPlan, RunRecords } from './run-records';
import { markRun, runClock } from './run-timings';

/**
 * Runs one notebook may have queued or running at once, and one person in it. Each run is a
 * record in the document, so an unbounded queue is unbounded growth; "run all" twice on a
 * very large notebook still fits.
 */
export const MAX_QUEUED_RUNS = 1000;
export const MAX_QUEUED_RUNS_PER_USER = 500;

// How long a run request waits for keystrokes its sender made just before it.
const WAIT_FOR_SOURCES_MS = 3000;

const FINISH_STATUS: Record<RunFinishStatus, ExecutionStatus> = {
  ok: 'ok',
  error: 'error',
  aborted: 'cancelled',
  interrupted: 'interrupted',
  failed: 'failed',
  cancelled: 'cancelled',
};

export interface NotebookKernelOptions {
  fileId: string;
  room: Room;
  /** The notebook's one writer of the `kernel` map. */
  kernelState: KernelStateWriter;
  /** Creates the kernel session the first time the notebook needs one. */
  createSession(): Promise<KernelHandle>;
  store: OutputStore;
  limits: OutputLimits;
  /**
   * Called for each code cell as it is queued, in order. It may return other code for the
   * kernel to run in its place (a SQL cell becomes code that loads its query's result), with
   * work tied to the run, or undefined to run the cell as written. It must not throw for bad
   * input: it returns code that reports the problem in the cell instead.
   */
  planRun(run: QueuedRun): Promise<RunPlan | undefined>;
  log: { warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
  /** Why a kernel the document still shows is gone (cluster mode: it died with another replica). */
  lostKernel?: string;
  /**
   * The kernel outlives the server (a pod): a run the document shows running is followed again
   * once the kernel is reattached to, rather than failed.
   */
  resumeRuns?: boolean;
}

export class NotebookKernel {
  private session: KernelHandle | undefined;
  private creating: Promise<KernelHandle> | undefined;
  private readonly runs = new Map<string, Run>();
  /** Runs from Jupyter clients that name no cell of the notebook: run id -> who asked. */
  private readonly cellless = new Map<string, string>();
  private readonly writer: OutputWriter;
  private readonly records: RunRecords;
  private readonly kernelState: KernelStateWriter;
  private handingOver = false;
  private adoption: Promise<void> | undefined;

  constructor(private readonly options: NotebookKernelOptions) {
    const target = { doc: options.room.doc, transact: (change: () => void) => options.room.transact(change, SERVER_ORIGIN) };
    this.writer = new OutputWriter(target, options.store, options.fileId, options.limits);
    this.records = new RunRecords(target);
    this.kernelState = options.kernelState;
    // Whatever a previous server process had queued or running is gone with its kernel, but
    // for runs a cluster replica handed over on its way out: those run here.
    const handedOver = this.kernelState.get('handedOver') === true;
    const running = this.records.running();
    const resumable = options.resumeRuns && !handedOver && !options.lostKernel && running?.kernelMsgId ? running : undefined;
    this.records.failOrphans(options.lostKernel ?? 'The server restarted before this run finished', handedOver ? ['running'] : undefined, resumable?.id);
    options.room.transact(() => {
      for (const cell of options.room.doc.getArray('cells')) {
        if (cell instanceof Y.Map && cell.get('execution_state') === 'running') cell.set('execution_state', 'idle');
      }
    });
    if (resumable) {
      this.adoption = this.resumeRunning(resumable).catch((error: unknown) => {
        this.records.failOrphans(`Could not follow this run after the server restarted: ${(error as Error).message}`, ['running']);
      });
    } else if (handedOver) {
      this.adoption = this.adoptQueued().catch((error: unknown) => {
        this.records.failOrphans(`Could not run on this server: ${(error as Error).message}`, ['queued']);
      });
    } else if (this.kernelState.get('status') !== 'shutdown' && !this.kernelState.isEmpty) {
      this.kernelState.write({ status: 'shutdown', message: options.lostKernel ?? 'No kernel is running' });
    }
  }

  /**
   * Cluster scale-in: runs not started yet stay queued in the document for the next owner; the
   * one running gets up to `waitMs` to finish; then the kernel stops and the document says why.
   */
  async handOver(waitMs: number, message: string): Promise<void> {
    this.handingOver = true;
    for (const run of this.runs.values()) if (!run.started) this.session?.cancel(run.runId, message);
    const deadline = Date.now() + waitMs;
    while ([...this.runs.values()].some((run) => run.started) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const session = this.session;
    if (session) {
      session.removeAllListeners();
      await session.shutdown();
    }
    this.kernelState.write({ status: 'shutdown', message, handedOver: true });
  }

  /**
   * Reattaches to the kernel (a pod) that ran `record` when the server died, and follows the
   * run on: what it prints from now on lands in its cell, and its reply ends it.
   */
  private async resumeRunning(record: ExecutionRecord): Promise<void> {
    const session = await this.ensureSession();
    const run = new Run(this.options.fileId, record.id, record.cellId, record.source, record.requestedBy);
    run.started = true;
    this.runs.set(record.id, run);
    if (!session.resume({ runId: record.id, code: record.source, username: record.requestedBy.username }, record.kernelMsgId!)) {
      this.runs.delete(record.id);
      throw new Error('the kernel had started already');
    }
    this.writer.resumeRun(record.cellId);
    await session.start();
  }

  /** Queues, on a fresh kernel, the runs another replica handed over. */
  private async adoptQueued(): Promise<void> {
    const queued = this.records.queued();
    this.kernelState.write({
      handedOver: undefined,
      message: queued.length
        ? `This notebook moved from another server: ${queued.length} queued run${queued.length === 1 ? '' : 's'} continue here on a fresh kernel`
        : 'This notebook moved from another server',
    });
    if (!queued.length) return;
    const session = await this.ensureSession();
    for (const record of queued) {
      const run = new Run(this.options.fileId, record.id, record.cellId, record.source, record.requestedBy);
      this.runs.set(record.id, run);
      const plan = await this.options.planRun(run);
      run.work = plan?.work;
      session.enqueue({ runId: record.id, code: plan?.code ?? record.source, username: record.requestedBy.username });
    }
  }

  get status(): string {
    return this.session?.status ?? 'shutdown';
  }

  /** The kernelspec the session runs, once there is one. */
  get specName(): string | undefined {
    return this.session?.spec.name;
  }

  /** What the `kernel` map says of the status, for people ("The kernel died unexpectedly..."). */
  get statusMessage(): string | undefined {
    return this.kernelState.get('message');
  }

  get lastActivity(): number {
    return this.session?.lastActivity ?? 0;
  }

  /** True while the kernel runs or has work queued: the room must stay loaded. */
  get alive(): boolean {
    const status = this.session?.status;
    return status !== undefined && status !== 'shutdown' && status !== 'dead';
  }

  get busy(): boolean {
    return this.runs.size > 0 || this.cellless.size > 0;
  }

  /** The kernel session, created if needed: the Jupyter kernel API passes raw traffic through it. */
  handle(): Promise<KernelHandle> {
    return this.ensureSession();
  }

  /**
   * Queues a Jupyter client's execute_request as a run of `requestedBy`, its header kept so the
   * kernel's replies answer the client. Where its metadata.cellId names a code cell of this
   * notebook, the run is recorded and its outputs written there like any other; otherwise it
   * only takes its turn in the queue. `runId` is the caller's id for the run.
   */
  async executeMessage(message: JupyterMessage, requestedBy: UserRef, runId: string): Promise<void> {
    const content = message.content as { code?: unknown; silent?: unknown; store_history?: unknown; stop_on_error?: unknown };
    if (typeof content.code !== 'string') throw invalid('An execute_request needs its code as a string');
    const code = content.code;
    const cellId = typeof message.metadata.cellId === 'string' ? message.metadata.cellId : undefined;
    const cell = cellId === undefined ? undefined : this.codeCell(cellId);
    this.admitRuns(1, requestedBy.username);
    const session = await this.ensureSession();
    if (cell && cellId !== undefined && content.silent !== true) {
      this.records.queue(runId, cellId, code, requestedBy, 'jupyter');
      this.runs.set(runId, new Run(this.options.fileId, runId, cellId, code, requestedBy));
    } else {
      this.cellless.set(runId, requestedBy.username);
    }
    session.enqueue({
      runId,
      code,
      username: requestedBy.username,
      silent: content.silent === true,
      storeHistory: content.store_history !== false,
      stopOnError: content.stop_on_error !== false,
      message: { ...message, header: { ...message.header, username: requestedBy.username } },
    });
  }

  /** Starts the kernel ahead of the first run. */
  async prestart(): Promise<void> {
    const session = await this.ensureSession();
    await session.start();
  }

  /**
   * Queues the given cells, in order. Unknown cells refuse the whole request. `after` is the
   * requester's state vector: the sources that run include everything they had typed.
   * `arrivedAt`, when the request reached the server, is for `--run-timings` only.
   */
  async execute(cellIds: string[], requestedBy: UserRef, after?: Uint8Array, arrivedAt?: number): Promise<ExecuteReply> {
    if (this.handingOver) throw unavailable('This notebook is moving to another server; run again in a moment');
    const requestAt = runClock();
    await this.adoption;
    if (after) await this.options.room.whenIncludes(after, WAIT_FOR_SOURCES_MS);
    const sourcesAt = runClock();
    const cells = new Map<string, Y.Map<unknown>>();
    for (const cell of this.options.room.doc.getArray('cells')) {
      if (cell instanceof Y.Map) cells.set(String(cell.get('id')), cell);
    }
    for (const id of cellIds) if (!cells.has(id)) throw notFound(`No cell with id ${id} in this notebook`);
    this.admitRuns(cellIds.filter((id) => cells.get(id)!.get('cell_type') === 'code').length, requestedBy.username);
    const session = await this.ensureSession();
    const runs = [];
    const skipped: string[] = [];
    for (const cellId of cellIds) {
      const cell = cells.get(cellId)!;
      if (cell.get('cell_type') !== 'code') {
        skipped.push(cellId);
        continue;
      }
      const source = cell.get('source');
      const code = source instanceof Y.Text ? source.toString() : '';
      const runId = randomUUID();
      const record = this.records.queue(runId, cellId, code, requestedBy);
      if (requestAt !== null && sourcesAt !== null) {
        if (arrivedAt !== undefined) markRun(runId, 'arrived', arrivedAt);
        markRun(runId, 'request', requestAt);
        markRun(runId, 'sources', sourcesAt);
        markRun(runId, 'recorded');
      }
      const run = new Run(this.options.fileId, runId, cellId, code, requestedBy);
      this.runs.set(runId, run);
      const plan = await this.options.planRun(run);
      run.work = plan?.work;
      session.enqueue({ runId, code: plan?.code ?? code, username: requestedBy.username });
      markRun(runId, 'enqueued');
      runs.push(record);
    }
    return { runs, skipped };
  }

  /** Refuses, whole, a request that would queue more runs than the notebook or its user may have. */
  private admitRuns(count: number, username: string): void {
    const queued = this.runs.size + this.cellless.size;
    if (queued + count > MAX_QUEUED_RUNS) {
      throw tooMany(
        `This notebook already has ${queued} runs queued or running, and at most ${MAX_QUEUED_RUNS} may wait at once. Wait for some to finish, or interrupt the kernel.`,
        'too_many_runs',
      );
    }
    let mine = 0;
    for (const run of this.runs.values()) if (run.requestedBy.username === username) mine++;
    for (const asker of this.cellless.values()) if (asker === username) mine++;
    if (mine + count > MAX_QUEUED_RUNS_PER_USER) {
      throw tooMany(
        `You already have ${mine} runs queued or running in this notebook, and one person may have at most ${MAX_QUEUED_RUNS_PER_USER}. Wait for some to finish, or interrupt the kernel.`,
        'too_many_runs',
      );
    }
  }

  async interrupt(): Promise<void> {
    await this.session?.interrupt();
  }

  /** Restarts the kernel, or starts it if none is running yet (nothing to restart). */
  async restart(): Promise<void> {
    const session = await this.ensureSession();
    if (session.status === 'shutdown') await session.start();
    else await session.restart();
  }

  async shutdown(message?: string): Promise<void> {
    if (!this.session) return;
    await this.session.shutdown();
    if (message) this.setKernel({ status: 'shutdown', message });
  }

  cancel(runId: string): void {
    const run = this.runs.get(runId);
    if (!run) {
      if (this.records.get(runId)) throw conflict('That run has already finished');
      throw notFound('No such run');
    }
    if (!run.started && this.session?.cancel(runId, 'Cancelled before it ran')) return;
    const stopped = run.work?.cancel();
    if (stopped === undefined) throw conflict('That run is already running; interrupt it instead');
    run.cancelled = stopped;
  }

  /** Answers input() for a run; only the person whose run asked may answer. */
  input(runId: string, username: string, value: string): void {
    const run = this.runs.get(runId);
    const asker = run?.requestedBy.username ?? this.cellless.get(runId);
    if (asker === undefined) throw notFound('No such run is waiting for input');
    if (asker !== username) throw forbidden('Only the person who ran this cell can answer its prompt');
    if (!this.session?.sendInput(runId, value)) throw invalid('This run is not waiting for input');
    if (run) this.records.update(runId, {}, ['input']);
  }

  async dispose(): Promise<void> {
    const session = this.session ?? (await this.creating?.catch(() => undefined));
    if (session) {
      await session.shutdown();
      session.removeAllListeners();
    }
    this.writer.dispose();
  }

  private ensureSession(): Promise<KernelHandle> {
    if (this.session) return Promise.resolve(this.session);
    this.creating ??= this.options.createSession().then(
      (session) => {
        this.attach(session);
        this.session = session;
        return session;
      },
      (error: unknown) => {
        this.creating = undefined;
        this.setKernel({ status: 'dead', message: (error as Error).message });
        throw error;
      },
    );
    return this.creating;
  }

  private attach(session: KernelHandle): void {
    this.setKernel({
      kernelspec: { name: session.spec.name, display_name: session.spec.displayName, language: session.spec.language },
    });
    session.on('status', ({ status, message }) => {
      const patch: KernelState = { status, message };
      if ((status === 'starting' || status === 'restarting') && this.kernelState.get('status') !== status) patch.startedAt = Date.now();
      this.setKernel(patch);
    });
    session.on('runStarted', ({ runId, executionCount, msgId }) => {
      const run = this.runs.get(runId);
      if (!run) return;
      run.started = true;
      markRun(runId, 'started');
      // One document update for the start, record and cell together: each update is a log
      // append and a frame to every client, and the run's first output waits behind them.
      this.options.room.transact(() => {
        this.records.update(runId, { status: 'running', startedAt: Date.now(), executionCount, kernelMsgId: msgId });
        this.writer.startRun(run.cellId, executionCount);
      });
    });
    session.on('output', (event) => this.onOutput(event));
    session.on('inputRequested', ({ runId, prompt, password }) => {
      if (!this.runs.has(runId)) return;
      this.records.update(runId, { input: { prompt, password } });
    });
    session.on('runFinished', (event) => this.onFinished(event));
  }

  private onOutput(event: RunOutputEvent): void {
    const run = this.runs.get(event.runId);
    if (run) markRun(run.runId, 'output');
    this.writeOutput(event, run);
    // An output is what everyone waits for: it goes out now, not at the end of this turn of the
    // event loop, in one update with whatever the run's start left held (Room.flush).
    this.options.room.flush();
    if (run) markRun(run.runId, 'written');
  }

  private writeOutput(event: RunOutputEvent, run: Run | undefined): void {
    if (event.msgType === 'update_display_data') {
      // May target a display made by an earlier run, in any cell.
      if (event.displayId) {
        this.writer.updateDisplay(event.displayId, event.content.data as JSONObject, (event.content.metadata ?? {}) as JSONObject);
      }
      return;
    }
    if (!run) return;
    switch (event.msgType) {
      case 'stream':
        this.writer.stream(run.cellId, event.content.name, event.content.text);
        return;
      case 'clear_output':
        this.writer.clearOutput(run.cellId, event.content.wait === true);
        return;
      case 'display_data':
        this.writer.add(
          run.cellId,
          { output_type: 'display_data', data: event.content.data, metadata: event.content.metadata ?? {} } as OutputJSON,
          event.displayId,
        );
        return;
      case 'execute_result':
        this.writer.add(
          run.cellId,
          {
            output_type: 'execute_result',
            execution_count: event.content.execution_count,
            data: event.content.data,
            metadata: event.content.metadata ?? {},
          } as OutputJSON,
          event.displayId,
        );
        return;
      case 'error':
        this.writer.add(run.cellId, {
          output_type: 'error',
          ename: event.content.ename,
          evalue: event.content.evalue,
          traceback: event.content.traceback,
        } as OutputJSON);
        return;
    }
  }

  private codeCell(cellId: string): Y.Map<unknown> | undefined {
    for (const cell of this.options.room.doc.getArray('cells')) {
      if (cell instanceof Y.Map && cell.get('id') === cellId) return cell.get('cell_type') === 'code' ? cell : undefined;
    }
    return undefined;
  }

  private onFinished(event: RunFinishedEvent): void {
    this.cellless.delete(event.runId);
    const run = this.runs.get(event.runId);
    this.runs.delete(event.runId);
    if (!run) return;
    // Taken off this kernel's queue to run on the next owner: its record stays queued.
    if (this.handingOver && !run.started) return;
    if (run.started) {
      this.writer.finishRun(run.cellId);
      // A run cut short by the kernel dying says so in the cell itself, for everyone.
      if (event.status === 'failed' && event.message) {
        this.writer.add(run.cellId, { output_type: 'error', ename: 'KernelDied', evalue: event.message, traceback: [] } as OutputJSON);
      }
    }
    const status = run.cancelled ? 'cancelled' : FINISH_STATUS[event.status];
    const message = run.cancelled ?? (event.status === 'aborted' ? (event.message ?? 'Not run: an earlier cell raised an error') : event.message);
    // Before the record says the run finished, so that what the work writes (a SQL cell's
    // final query state) is already in the document when clients see the run end.
    run.work?.finished(status);
    this.records.update(event.runId, { status, finishedAt: Date.now(), executionCount: event.executionCount ?? null, ...(message ? { message } : {}) }, [
      'input',
    ]);
    markRun(event.runId, 'finished');
    this.records.prune();
    this.setKernel({ lastActivity: Date.now() });
  }

  /** Sets the fields that have a value; the session never removes one. */
  private setKernel(patch: KernelState): void {
    const defined: KernelPatch = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
    this.kernelState.write(defined);
  }
}
