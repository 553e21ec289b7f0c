// Environment ready time (DESIGN.md section 6, issue 5): how long a notebook waits for its
// environment, on a cache hit and on a cold build, with venv+pip and with uv. "tandem" is the
// kernel bridge's Environments (content-addressed cache, build in a temporary place, rename,
// the helper package added), run in this process as the server runs it; "installer" makes the
// same environment with the same installer commands and nothing else, the bound for a build.
//
// Download caches (pip's, uv's) stay warm after the first build, as on any real server; the
// environment cache is new for every cold sample. Time to first output for a new notebook, with
// and without the warm pool, is the kernel cold-start job's (suites/kernel.ts).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Environments, type NormalisedSpec, normaliseEnvironmentSpec } from '../../kernel-bridge/environments/index.js';
import { type Command, type Installer, PipInstaller, UvInstaller } from '../../kernel-bridge/environments/installer.js';
import { type Interpreter, probeInterpreter } from '../../kernel-bridge/environments/interpreter.js';
import { UvTool } from '../../kernel-bridge/environments/uv-tool.js';
import { silentLogger } from '../../kernel-bridge/index.js';
import { buildWheel } from '../../test/environments/wheels.js';
import type { EnvironmentParams } from '../config.js';
import { summarize } from '../lib/stats.js';
import type { Metric, SuiteResult, TargetTask } from './types.js';

const run = promisify(execFile);
/** Debian's Python with ipykernel 6.17: the base every kernel figure uses. */
export const BENCH_PYTHON = '/usr/bin/python3';

interface SpecCase {
  label: string;
  /** The notebook's specification, for a notebook in `dir`; undefined for the default environment. */
  spec(dir: string): NormalisedSpec | undefined;
}

function cases(params: EnvironmentParams): SpecCase[] {
  const list: SpecCase[] = [
    { label: 'default environment (no requirements)', spec: () => undefined },
    {
      label: 'one package from a local wheel',
      spec: (dir) => normaliseEnvironmentSpec({ requirements: ['bench-pkg==1.0.0', `--find-links ${join(dir, 'wheels')}`, '--no-index'] }, dir),
    },
  ];
  if (params.pypi)
    list.push({ label: 'requests from PyPI (5 packages)', spec: (dir) => normaliseEnvironmentSpec({ requirements: ['requests==2.32.3'] }, dir) });
  return list;
}

export async function environments(task: TargetTask<EnvironmentParams>): Promise<SuiteResult> {
  const { params } = task;
  const python = await probeInterpreter(BENCH_PYTHON);
  if (!python?.hasIpykernel) throw new Error(`${BENCH_PYTHON} with ipykernel is needed (apt install python3-ipykernel)`);
  // uv from the PATH or the user's Tandem tools folder, installed there if needed: where a
  // Tandem server would find it.
  const uv = new UvTool(join(homedir(), '.cache', 'tandem', 'tools'), silentLogger, process.env, new AbortController().signal);
  const uvPath = (await uv.find()) ?? (await uv.install(python));
  const notes = [`Base interpreter ${python.path} (Python ${python.version}); ${params.samples} cold build(s) per figure, each in a new cache.`];
  if (!uvPath) notes.push('uv is not available here (not on the PATH and not installable): its rows are missing.');
  const metrics: Metric[] = [];
  for (const installer of params.installers) {
    if (installer === 'uv' && !uvPath) continue;
    if (task.target === 'installer') metrics.push(...(await byHand(installer, python, uvPath, params)));
    else metrics.push(...(await throughTandem(installer, python, uvPath, params)));
  }
  if (task.target === 'installer')
    notes.push(
      'The installer alone: `venv` (or `uv venv`) over the base, then one install of the requirements, with the commands Tandem runs; no helper package, no cache.',
    );
  return { metrics, notes };
}

async function throughTandem(installer: 'pip' | 'uv', python: Interpreter, uvPath: string | undefined, params: EnvironmentParams): Promise<Metric[]> {
  // The helper package's wheel is built once per version on a machine, not per environment:
  // build it before anything is timed, in a shared cache every sample uses.
  const shared = mkdtempSync(join(tmpdir(), 'tandem-bench-shared-'));
  const env = uvPath ? { ...process.env, PATH: `${join(uvPath, '..')}:${process.env.PATH}` } : process.env;
  const open = (dir: string): Environments => new Environments({ cacheDir: join(dir, 'envs'), installer, logger: silentLogger, env, sharedCacheDir: shared });
  const metrics: Metric[] = [];
  try {
    const warmup = open(shared);
    await warmup.resolve({ preferredPython: python.path });
    await warmup.close();
    for (const c of cases(params)) {
      const cold: number[] = [];
      const hit: number[] = [];
      for (let i = 0; i < params.samples; i++) {
        const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-env-'));
        buildWheel(join(dir, 'wheels'), 'bench-pkg', '1.0.0');
        const environments = open(dir);
        try {
          let started = performance.now();
          const plan = await environments.resolve({ spec: c.spec(dir), preferredPython: python.path });
          await environments.ensure(plan);
          cold.push(performance.now() - started);
          // A second notebook with the same specification: resolve to the same id, find it built.
          started = performance.now();
          const again = await environments.resolve({ spec: c.spec(dir), preferredPython: python.path });
          await environments.ensure(again);
          hit.push(performance.now() - started);
        } finally {
          await environments.close();
          rmSync(dir, { recursive: true, force: true });
        }
      }
      metrics.push(
        { label: `${installer}, cold build: ${c.label}`, unit: 'ms', value: summarize(cold).p50, better: 'lower' },
        { label: `${installer}, cache hit: ${c.label}`, unit: 'ms', value: summarize(hit).p50, better: 'lower' },
      );
    }
  } finally {
    rmSync(shared, { recursive: true, force: true });
  }
  return metrics;
}

async function byHand(installer: 'pip' | 'uv', python: Interpreter, uvPath: string | undefined, params: EnvironmentParams): Promise<Metric[]> {
  const tool: Installer = installer === 'uv' ? new UvInstaller(uvPath!) : new PipInstaller();
  const exec = async (c: Command): Promise<void> => {
    await run(c.command, c.args, { maxBuffer: 64 * 1024 * 1024 });
  };
  const metrics: Metric[] = [];
  for (const c of cases(params)) {
    const cold: number[] = [];
    for (let i = 0; i < params.samples; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-env-'));
      buildWheel(join(dir, 'wheels'), 'bench-pkg', '1.0.0');
      try {
        const spec = c.spec(dir);
        const started = performance.now();
        await exec(tool.createVenv(python, join(dir, 'env')));
        if (spec?.requirements.length) await exec(tool.install(join(dir, 'env'), spec.requirements, spec.index));
        cold.push(performance.now() - started);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    metrics.push({ label: `${installer}, cold build: ${c.label}`, unit: 'ms', value: summarize(cold).p50, better: 'lower' });
  }
  return metrics;
}
