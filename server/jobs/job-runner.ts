// Runs one job: the whole notebook, top to bottom, in a fresh kernel of the notebook's own
// environment, started for this job alone and shut down after it. It never sees a room: it
// takes the notebook as JSON and gives back the run record, reporting progress on the way.
// Anything that goes wrong (an environment that cannot be built, a kernel that dies, a cell
// that raises) ends the job as failed, with the reason in the record.

import { dirname } from 'node:path';
import type { EnvironmentDetail, JobParameters, JobRecord, JobSnapshot } from '../../common/api';
import type { JobMode, JobProgress, UserRef } from '../../common/doc-schema';
import { type CellJSON, isJSONObject, type NotebookJSON } from '../../common/nbformat';
import type { BridgeLogger, KernelHandle, KernelSpec, RunFinishedEvent, RunOutputEvent } from '../../kernel-bridge';
import { environmentKernelSpec } from '../../kernel-bridge/environments';
import type { EnvironmentService } from '../environments/environment-service';
import { openTandemKernel } from '../execution/kernel-setup';
import type { JobSqlCells } from '../queries/job-sql-cells';
import { CellOutputs } from './cell-outputs';
import { injectParameters } from './parameters';

export interface JobInput {
  id: string;
  fileId: string;
  /** The notebook's path under the root (for the record), and on disk (its folder is the kernel's cwd). */
  path: string;
  absolutePath: string;
  notebook: NotebookJSON;
  mode: JobMode;
  parameters: JobParameters;
  startedBy: UserRef;
  queuedAt: number;
  /** For a reproduction: the record it re-runs, and the snapshot each SQL cell must load (by cell id). */
  reproduces?: string;
  snapshots?: Record<string, string>;
}

export interface JobRunnerDeps {
  environments: EnvironmentService;
  sql: JobSqlCells;
  log: BridgeLogger;
}

type Progress = (patch: Partial<JobProgress>) => void;

class JobFailure extends Error {}

export class JobRunner {
  constructor(private readonly deps: JobRunnerDeps) {}

  async run(input: JobInput, signal: AbortSignal, progress: Progress): Promise<JobRecord> {
    const startedAt = Date.now();
    progress({ status: 'running', startedAt });
    const nb = injectParameters(input.notebook, input.parameters);
    const codeCells = nb.cells.filter((c) => c.cell_type === 'code');
    const snapshots: JobSnapshot[] = [];
    let environment: string | null = null;
    let environmentDetail: EnvironmentDetail | null = null;
    let failure: JobRecord['failure'] = null;
    let cancelled = false;
    let kernel: KernelHandle | undefined;
    let release: (() => void) | undefined;
    const executedCells = nb.cells.map((cell) => (cell.cell_type === 'code' ? { ...cell, outputs: [], execution_count: null } : cell));
    try {
      const launch = await this.launch(nb, input.absolutePath);
      environment = launch.environment;
      environmentDetail = launch.detail;
      release = launch.release;
      if (signal.aborted) throw new JobFailure('cancelled');
      kernel = openTandemKernel({
        spec: launch.spec,
        cwd: dirname(input.absolutePath),
        runtime: this.deps.environments.runtime,
        logger: this.deps.log,
      });
      const stop = () => void kernel?.interrupt().finally(() => kernel?.shutdown());
      signal.addEventListener('abort', stop, { once: true });
      try {
        let index = 0;
        for (const [position, cell] of executedCells.entries()) {
          if (cell.cell_type !== 'code') continue;
          index++;
          const cellId = typeof cell.id === 'string' ? cell.id : `cell-${position}`;
          progress({ cellId, cellIndex: index, cellCount: codeCells.length, query: undefined });
          const runId = `${input.id}-${index}`;
          const source = typeof cell.source === 'string' ? cell.source : '';
          const plan = await this.deps.sql.plan(
            {
              fileId: input.fileId,
              cellId,
              runId,
              source,
              metadata: cell.metadata,
              mode: input.mode,
              by: input.startedBy,
              snapshotId: input.snapshots?.[cellId],
            },
            (phase, rows) => progress({ query: { phase, rows } }),
            signal,
          );
          if (plan?.snapshot) snapshots.push(plan.snapshot);
          if (signal.aborted) throw new JobFailure('cancelled');
          const outputs = new CellOutputs();
          const finished = await execute(kernel, runId, plan?.code ?? source, outputs);
          executedCells[position] = { ...cell, outputs: outputs.outputs, execution_count: finished.executionCount };
          if (signal.aborted) throw new JobFailure('cancelled');
          if (finished.status !== 'ok') {
            const error = finished.error;
            failure = {
              cellId,
              cellIndex: index,
              ename: error?.ename ?? finished.status,
              evalue: error?.evalue ?? finished.message ?? 'The cell did not finish',
            };
            break;
          }
        }
      } finally {
        signal.removeEventListener('abort', stop);
      }
    } catch (error) {
      if (signal.aborted) cancelled = true;
      else {
        this.deps.log.warn({ jobId: input.id, err: error }, 'a job failed before its cells could run');
        failure = { cellId: null, cellIndex: null, ename: 'JobError', evalue: describe(error) };
      }
    } finally {
      await kernel?.shutdown().catch(() => undefined);
      kernel?.removeAllListeners();
      release?.();
    }
    if (signal.aborted) cancelled = true;
    const finishedAt = Date.now();
    const status = cancelled ? 'cancelled' : failure ? 'failed' : 'ok';
    const executed: NotebookJSON = { ...nb, cells: executedCells as CellJSON[] };
    return {
      id: input.id,
      notebook: { fileId: input.fileId, path: input.path },
      mode: input.mode,
      status,
      parameters: input.parameters,
      environment,
      environmentDetail,
      snapshots,
      startedBy: input.startedBy,
      queuedAt: input.queuedAt,
      startedAt,
      finishedAt,
      durationMs: finishedAt - startedAt,
      failure: cancelled ? null : failure,
      executed: executed as unknown as Record<string, unknown>,
      reproduces: input.reproduces ?? null,
      diff: null,
      environmentChange: null,
    };
  }

  /** The kernelspec for the notebook's environment, built first if needed, and kept from garbage collection while the job runs. */
  private async launch(
    nb: NotebookJSON,
    absolutePath: string,
  ): Promise<{ spec: KernelSpec; environment: string; detail: EnvironmentDetail | null; release?: () => void }> {
    const tandem = nb.metadata.tandem;
    const kernelspec = nb.metadata.kernelspec;
    const rawSpec = isJSONObject(tandem) && tandem.environment !== null ? tandem.environment : undefined;
    const kernelName = isJSONObject(kernelspec) && typeof kernelspec.name === 'string' && kernelspec.name ? kernelspec.name : undefined;
    const service = this.deps.environments;
    const resolution = await service.resolve({ rawSpec, kernelName, baseDir: dirname(absolutePath) });
    if (resolution.kind === 'kernelspec') return { spec: resolution.spec, environment: 'kernelspec', detail: null };
    const release = service.environments.hold(resolution.plan.id);
    try {
      const built = await service.environments.ensure(resolution.plan);
      const detail = { python: built.manifest.base.version, packages: built.manifest.packages };
      return { spec: environmentKernelSpec(built, resolution.like), environment: built.id, detail, release };
    } catch (error) {
      release();
      throw new Error(`The notebook's environment could not be built: ${describe(error)}`);
    }
  }
}

/** Runs one cell's code and waits for it to end, collecting its outputs. */
function execute(kernel: KernelHandle, runId: string, code: string, outputs: CellOutputs): Promise<RunFinishedEvent> {
  return new Promise((resolve) => {
    const onOutput = (event: RunOutputEvent) => {
      if (event.runId === runId) outputs.add(event);
    };
    const onFinished = (event: RunFinishedEvent) => {
      if (event.runId !== runId) return;
      kernel.off('output', onOutput);
      kernel.off('runFinished', onFinished);
      resolve(event);
    };
    kernel.on('output', onOutput);
    kernel.on('runFinished', onFinished);
    kernel.enqueue({ runId, code, stopOnError: true });
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
