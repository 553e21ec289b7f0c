// A headless job's overhead against nbclient on the same light notebook, in the same run:
//   - Tandem job over HTTP: POST /api/notebooks/{fileId}/jobs until GET /api/jobs/{id} says ok;
//   - `npm start -- run NOTEBOOK` as a user types it (npm, a server rebuild, then the run), and
//     `node dist/server/cli.mjs run NOTEBOOK`, the same run without npm and the rebuild;
//   - nbclient's NotebookClient in a fresh python3 process (nbclient-run.py), with its phases.
// Kinds take turns within each repetition, so the machine's load drifts over all of them alike.
// Tandem's bridge starting the same kernelspec, alone, tells how much of a job is kernel start.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { JobRecord, JobStarted } from '../../common/api.js';
import { TANDEM_BUNDLE } from '../lib/bundle.js';
import { BridgeKernel, benchKernelSpec } from '../lib/direct-kernel.js';
import { REPO } from '../servers/paths.js';
import { LIGHT_NOTEBOOK } from './notebooks.js';
import { type Api, withoutTokens } from './server.js';

const run = promisify(execFile);
const NBCLIENT_SCRIPT = join(import.meta.dirname, 'nbclient-run.py');
const PYTHON = '/usr/bin/python3';
const JOB_TIMEOUT_MS = 120_000;
const POLL_MS = 20;

export type JobKind = 'http-job' | 'npm-start-run' | 'cli-run' | 'nbclient' | 'kernel-start';

export const KIND_LABELS: Record<JobKind, string> = {
  'http-job': 'Tandem job over HTTP (POST → record ok)',
  'npm-start-run': '`npm start -- run NOTEBOOK` (wall)',
  'cli-run': '`node dist/server/cli.mjs run NOTEBOOK` (wall)',
  nbclient: 'nbclient `NotebookClient` in a fresh python3 (wall)',
  'kernel-start': "Tandem's bridge: start the python3 kernel alone",
};

export interface JobSample {
  kind: JobKind;
  wallMs: number;
  /** Phases a kind reports about itself (the job's own duration, nbclient's kernel start...). */
  phases: Record<string, number>;
}

export interface JobFailure {
  kind: JobKind;
  message: string;
}

export interface JobOverheadResult {
  samples: JobSample[];
  failures: JobFailure[];
}

async function httpJob(api: Api, fileId: string): Promise<JobSample> {
  const started = performance.now();
  const { id } = await api.json<JobStarted>('POST', `/api/notebooks/${fileId}/jobs`, { mode: 'live' });
  const deadline = Date.now() + JOB_TIMEOUT_MS;
  for (;;) {
    const record = await api.json<JobRecord>('GET', `/api/jobs/${id}`);
    if (record.status === 'ok') {
      const wallMs = performance.now() - started;
      return {
        kind: 'http-job',
        wallMs,
        phases: { recordDurationMs: record.durationMs ?? Number.NaN, queuedMs: (record.startedAt ?? Number.NaN) - record.queuedAt },
      };
    }
    if (record.status === 'failed' || record.status === 'cancelled') {
      throw new Error(`job ${record.status}: ${record.failure ? `${record.failure.ename}: ${record.failure.evalue}` : 'no failure recorded'}`);
    }
    if (Date.now() > deadline) throw new Error(`job still ${record.status} after ${JOB_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** The run command exits 0 and its last line names the executed notebook, which must exist. */
async function commandRun(kind: 'npm-start-run' | 'cli-run', notebook: string, stateDir: string): Promise<JobSample> {
  const args = ['run', notebook, '--state-dir', stateDir];
  const [command, argv] = kind === 'npm-start-run' ? ['npm', ['start', '--silent', '--', ...args]] : [process.execPath, [TANDEM_BUNDLE, ...args]];
  const started = performance.now();
  const { stdout } = await run(command, argv, { cwd: REPO, timeout: JOB_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
  const wallMs = performance.now() - started;
  const last = stdout.trim().split('\n').at(-1) ?? '';
  if (!existsSync(last)) throw new Error(`the run printed no executed notebook as its last line (got "${last.slice(0, 200)}")`);
  return { kind, wallMs, phases: {} };
}

async function nbclientRun(notebook: string, out: string): Promise<JobSample> {
  const started = performance.now();
  const { stdout } = await run(PYTHON, [NBCLIENT_SCRIPT, notebook, out], { timeout: JOB_TIMEOUT_MS });
  const wallMs = performance.now() - started;
  const phases = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, number>;
  return {
    kind: 'nbclient',
    wallMs,
    phases: Object.fromEntries(
      Object.entries(phases).map(([name, seconds]) => [name.replace(/_s$/, 'Ms').replace(/_(\w)/g, (_, c: string) => c.toUpperCase()), seconds * 1000]),
    ),
  };
}

async function kernelStart(cwd: string): Promise<JobSample> {
  const spec = await benchKernelSpec('python3');
  const started = performance.now();
  const kernel = await BridgeKernel.start(spec, cwd);
  const wallMs = performance.now() - started;
  await kernel.shutdown();
  return { kind: 'kernel-start', wallMs, phases: {} };
}

export async function measureJobOverhead(api: Api, root: string, workDir: string, repetitions: number): Promise<JobOverheadResult> {
  const path = 'light.ipynb';
  await api.json('PUT', `/api/contents/${path}`, { type: 'notebook', format: 'json', content: LIGHT_NOTEBOOK });
  const { fileId } = await api.json<{ fileId: string }>('PUT', `/api/collaboration/session/${path}`, { format: 'json', type: 'notebook' });
  // The command runs the file on disk outside the server, with state of its own.
  const commandDir = join(workDir, 'command');
  mkdirSync(commandDir, { recursive: true });
  const notebook = join(commandDir, path);
  writeFileSync(notebook, JSON.stringify(LIGHT_NOTEBOOK));
  const stateDir = join(commandDir, '.tandem');

  const kinds: Array<[JobKind, () => Promise<JobSample>]> = [
    ['http-job', () => httpJob(api, fileId)],
    ['npm-start-run', () => commandRun('npm-start-run', notebook, stateDir)],
    ['cli-run', () => commandRun('cli-run', notebook, stateDir)],
    ['nbclient', () => nbclientRun(notebook, join(commandDir, 'nbclient-out.ipynb'))],
    ['kernel-start', () => kernelStart(root)],
  ];
  const samples: JobSample[] = [];
  const failures: JobFailure[] = [];
  // Round 0 warms the page cache (Python's modules, the server's code) and is not counted.
  for (let round = 0; round <= repetitions; round++) {
    for (const [kind, once] of kinds) {
      try {
        const sample = await once();
        if (round > 0) samples.push(sample);
      } catch (error) {
        failures.push({ kind, message: withoutTokens((error as Error).message).slice(0, 500) });
      }
    }
    process.stderr.write(`  jobs: ${round === 0 ? 'warm-up round' : `repetition ${round}/${repetitions}`} done\n`);
  }
  return { samples, failures };
}
