// One notebook's shared kernel, seen from the document: it turns requests to run cells into
// queued runs on the kernel session, and the session's events into the `kernel` and
// `executions` maps, cell states and outputs. Everyone in the room sees the same queue.

import { randomUUID } from 'node:crypto';
import * as Y from 'yjs';
import { KERNEL_MAP, type ExecutionStatus, type KernelState, type UserRef } from '../../common/doc-schema';
import type { JSONObject, OutputJSON } from '../../common/nbformat';
import type { KernelSession, RunFinishedEvent, RunFinishStatus, RunOutputEvent } from '../../kernel-bridge';
import { badRequest, conflict, forbidden, notFound } from '../http/errors';
import { SERVER_ORIGIN, type Room } from '../rooms/room';
import type { OutputStore } from './output-store';
import { OutputWriter, type OutputLimits } from './output-writer';
import { RunRecords } from './run-records';

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

export interface PreparedRun {
  fileId: string;
  runId: string;
  cellId: string;
  source: string;
  requestedBy: UserRef;
}

interface RunInfo {
  cellId: string;
  requestedBy: UserRef;
  started: boolean;
  /** Set when cancelRun stopped the run's work after it started: it ends as cancelled. */
  cancelled?: string;
}

export interface NotebookKernelOptions {
  fileId: string;
  room: Room;
  /** Creates the kernel session the first time the notebook needs one. */
  createSession(): Promise<KernelSession>;
  store: OutputStore;
  limits: OutputLimits;
  /**
   * Called for each code cell as it is queued, in order. It may return other code for the
   * kernel to run in its place (a SQL cell becomes code that loads its query's result), or
   * undefined to run the cell as written. It must not throw for bad input: it returns code
   * that reports the problem in the cell instead.
   */
  prepareRun?(run: PreparedRun): Promise<string | undefined>;
  /** Called when a run ends, however it ends (so work started for it can stop). */
  onRunFinished?(runId: string, status: ExecutionStatus): void;
  /**
   * Called to cancel a run that the kernel can no longer take off its queue (it has started).
   * Returns a message for people if it stopped the run's work (a SQL cell's query, at the
   * database), and the run then ends as cancelled; undefined if there was nothing to stop.
   */
  cancelRun?(runId: string): string | undefined;
  log: { warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
}

export class NotebookKernel {
  private session: KernelSession | undefined;
  private creating: Promise<KernelSession> | undefined;
  private readonly runs = new Map<string, RunInfo>();
  private readonly writer: OutputWriter;
  private readonly records: RunRecords;
  private readonly kernelMap: Y.Map<unknown>;

  constructor(private readonly options: NotebookKernelOptions) {
    const target = { doc: options.room.doc, transact: (change: () => void) => options.room.transact(change, SERVER_ORIGIN) };
    this.writer = new OutputWriter(target, options.store, options.fileId, options.limits);
    this.records = new RunRecords(target);
    this.kernelMap = options.room.doc.getMap(KERNEL_MAP);
    // Whatever a previous server process had queued or running is gone with its kernel.
    this.records.failOrphans('The server restarted before this run finished');
    options.room.transact(() => {
      for (const cell of options.room.doc.getArray('cells')) {
        if (cell instanceof Y.Map && cell.get('execution_state') === 'running') cell.set('execution_state', 'idle');
      }
      if (this.kernelMap.get('status') !== 'shutdown' && this.kernelMap.size) {
        this.kernelMap.set('status', 'shutdown');
        this.kernelMap.set('message', 'No kernel is running');
      }
    });
  }

  get status(): string {
    return this.session?.status ?? 'shutdown';
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
    return this.runs.size > 0;
  }

  /** Starts the kernel ahead of the first run. */
  async prestart(): Promise<void> {
    const session = await this.ensureSession();
    await session.start();
  }

  /**
   * Queues the given cells, in order. Unknown cells refuse the whole request. `after` is the
   * requester's state vector: the sources that run include everything they had typed.
   */
  async execute(cellIds: string[], requestedBy: UserRef, after?: Uint8Array): Promise<{ runs: unknown[]; skipped: string[] }> {
    if (after) await this.options.room.whenIncludes(after, WAIT_FOR_SOURCES_MS);
    const cells = new Map<string, Y.Map<unknown>>();
    for (const cell of this.options.room.doc.getArray('cells')) {
      if (cell instanceof Y.Map) cells.set(String(cell.get('id')), cell);
    }
    for (const id of cellIds) if (!cells.has(id)) throw notFound(`No cell with id ${id} in this notebook`);
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
      this.runs.set(runId, { cellId, requestedBy, started: false });
      const replaced = await this.options.prepareRun?.({ fileId: this.options.fileId, runId, cellId, source: code, requestedBy });
      session.enqueue({ runId, code: replaced ?? code, username: requestedBy.username });
      runs.push(record);
    }
    return { runs, skipped };
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
    const stopped = this.options.cancelRun?.(runId);
    if (stopped === undefined) throw conflict('That run is already running; interrupt it instead');
    run.cancelled = stopped;
  }

  /** Answers input() for a run; only the person whose run asked may answer. */
  input(runId: string, username: string, value: string): void {
    const run = this.runs.get(runId);
    if (!run) throw notFound('No such run is waiting for input');
    if (run.requestedBy.username !== username) throw forbidden('Only the person who ran this cell can answer its prompt');
    if (!this.session?.sendInput(runId, value)) throw badRequest('This run is not waiting for input');
    this.records.update(runId, {}, ['input']);
  }

  async dispose(): Promise<void> {
    const session = this.session ?? (await this.creating?.catch(() => undefined));
    if (session) {
      await session.shutdown();
      session.removeAllListeners();
    }
    this.writer.dispose();
  }

  private ensureSession(): Promise<KernelSession> {
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

  private attach(session: KernelSession): void {
    this.setKernel({
      kernelspec: { name: session.spec.name, display_name: session.spec.displayName, language: session.spec.language },
    });
    session.on('status', ({ status, message }) => {
      const patch: KernelState = { status, message };
      if (status === 'idle' && this.kernelMap.get('status') !== 'busy') patch.startedAt = this.kernelMap.get('startedAt') as number;
      if ((status === 'starting' || status === 'restarting') && this.kernelMap.get('status') !== status) patch.startedAt = Date.now();
      this.setKernel(patch);
    });
    session.on('runStarted', ({ runId, executionCount }) => {
      const run = this.runs.get(runId);
      if (!run) return;
      run.started = true;
      this.records.update(runId, { status: 'running', startedAt: Date.now(), executionCount });
      this.writer.startRun(run.cellId, executionCount);
    });
    session.on('output', (event) => this.onOutput(event));
    session.on('inputRequested', ({ runId, prompt, password }) => {
      this.records.update(runId, { input: { prompt, password } });
    });
    session.on('runFinished', (event) => this.onFinished(event));
  }

  private onOutput(event: RunOutputEvent): void {
    const run = this.runs.get(event.runId);
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
        this.writer.add(run.cellId, { output_type: 'display_data', data: event.content.data, metadata: event.content.metadata ?? {} } as OutputJSON, event.displayId);
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

  private onFinished(event: RunFinishedEvent): void {
    const run = this.runs.get(event.runId);
    this.runs.delete(event.runId);
    if (!run) return;
    if (run.started) {
      this.writer.finishRun(run.cellId);
      // A run cut short by the kernel dying says so in the cell itself, for everyone.
      if (event.status === 'failed' && event.message) {
        this.writer.add(run.cellId, { output_type: 'error', ename: 'KernelDied', evalue: event.message, traceback: [] } as OutputJSON);
      }
    }
    const status = run.cancelled ? 'cancelled' : FINISH_STATUS[event.status];
    const message =
      run.cancelled ?? (event.status === 'aborted' ? (event.message ?? 'Not run: an earlier cell raised an error') : event.message);
    // Before the record says the run finished, so that what the hook writes (a SQL cell's
    // final query state) is already in the document when clients see the run end.
    this.options.onRunFinished?.(event.runId, status);
    this.records.update(
      event.runId,
      { status, finishedAt: Date.now(), executionCount: event.executionCount ?? null, ...(message ? { message } : {}) },
      ['input'],
    );
    this.records.prune();
    this.setKernel({ lastActivity: Date.now() });
  }

  private setKernel(patch: KernelState): void {
    this.options.room.transact(() => {
      for (const [key, value] of Object.entries(patch)) {
        if (value === undefined) continue;
        if (this.kernelMap.get(key) !== value) this.kernelMap.set(key, value);
      }
    }, SERVER_ORIGIN);
  }
}
