// Measures what users of environments wait for, on this machine, and prints a table:
//
// - time to first output for a new notebook in the default environment, with the warm pool
//   and without it (a real Tandem, driven over HTTP and a real Yjs client, from the request to
//   the output appearing in the client's document);
// - environment ready time, on a cache hit and on a cold build, with uv and with venv+pip:
//   the default environment, a one-package environment from a local wheel (offline), and
//   `requests` from PyPI (skipped with --offline). Download caches (pip's, uv's) stay warm
//   after the first build, as on any real server; the Tandem cache is cold.
//
// Run: npx tsx bench/environments/measure.ts [--samples 5] [--offline]

import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, homedir, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as Y from 'yjs';
import { Environments, normaliseEnvironmentSpec, type NormalisedSpec } from '../../kernel-bridge/environments';
import { UvTool } from '../../kernel-bridge/environments/uv-tool';
import { probeInterpreter } from '../../kernel-bridge/environments/interpreter';
import { buildWheel } from '../../test/environments/wheels';
import { connectNotebook, eventually } from '../../test/helpers/clients';
import { execute, waitForRun } from '../../test/helpers/execution';
import { makeNotebook } from '../../test/helpers/notebooks';
import { startTandem, type TandemProcess } from '../../test/helpers/tandem';

const { values } = parseArgs({ options: { samples: { type: 'string', default: '5' }, offline: { type: 'boolean', default: false } } });
const SAMPLES = Number(values.samples);
const PYTHON = '/usr/bin/python3';
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number): string => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 1 : 0)} ms`);
const rows: [string, string, string][] = [];
function report(what: string, samples: number[], note = ''): void {
  const line: [string, string, string] = [what, `${ms(median(samples))} (min ${ms(Math.min(...samples))}, n=${samples.length})`, note];
  rows.push(line);
  console.error(`  ${line.join('  ')}`);
}

/** From the execute request (made as soon as the notebook is open) to the cell's first output in a client's document. */
async function firstOutput(server: TandemProcess, name: string, environment?: unknown, pauseMs = 0): Promise<{ ms: number; pooled: boolean }> {
  const content = makeNotebook([{ id: 'a', source: 'print("hello")' }]) as { metadata: Record<string, unknown> };
  if (environment) content.metadata.tandem = { environment };
  await server.api('PUT', `/api/contents/${name}`, { type: 'notebook', format: 'json', content });
  const client = await connectNotebook(server, name);
  // A person reads the notebook for a moment before running it.
  await new Promise((resolve) => setTimeout(resolve, pauseMs));
  const cells = client.doc.getArray<Y.Map<unknown>>('cells');
  const started = performance.now();
  const [run] = await execute(server, client.fileId, ['a']);
  const elapsed = await eventually(() => {
    const outputs = cells.get(0).get('outputs') as Y.Array<unknown>;
    if (outputs.length === 0) throw new Error('no output yet');
    return performance.now() - started;
  }, 120_000, 2);
  await waitForRun(client, run.id);
  const pooled = client.doc.getMap('kernel').get('pooled') === true;
  await server.api('POST', `/api/notebooks/${client.fileId}/shutdown`);
  client.destroy();
  return { ms: elapsed, pooled };
}

async function poolReady(server: TandemProcess): Promise<void> {
  await eventually(async () => {
    const status = await (await server.api('GET', '/api/environments')).json();
    if (status.pool?.ready !== status.pool?.size) throw new Error('pool not ready');
  }, 180_000, 20);
}

async function timeToFirstOutput(): Promise<void> {
  for (const pool of [0, 1]) {
    const server = await startTandem({ args: ['--warm-pool', String(pool), '--env-installer', 'pip', '--cull-idle', '0'] });
    try {
      // The default environment is built once, before anything is measured.
      await firstOutput(server, 'warmup.ipynb');
      const samples: number[] = [];
      let pooledRuns = 0;
      for (let i = 0; i < SAMPLES; i += 1) {
        if (pool) await poolReady(server);
        const result = await firstOutput(server, `n${i}.ipynb`);
        samples.push(result.ms);
        if (result.pooled) pooledRuns += 1;
      }
      report(`first output, new notebook, ${pool ? 'warm pool of 1' : 'no warm pool'}`, samples, `${pooledRuns}/${SAMPLES} kernels from the pool`);
      if (pool) continue;
      // A notebook with its own environment, already built by an earlier notebook: its kernel
      // is prestarted when an editor opens it. Run at once, and after two seconds of reading.
      const own = { requirements: ['bench-pkg==1.0.0', '--find-links ./wheels', '--no-index'] };
      buildWheel(join(server.root, 'wheels'), 'bench-pkg', '1.0.0');
      await firstOutput(server, 'own-seed.ipynb', own);
      for (const pause of [0, 2000]) {
        const ownSamples: number[] = [];
        for (let i = 0; i < SAMPLES; i += 1) ownSamples.push((await firstOutput(server, `own${pause}-${i}.ipynb`, own, pause)).ms);
        report(`first output, new notebook in its own built environment, run ${pause ? `${pause / 1000} s` : 'at once'} after opening`, ownSamples, 'kernel prestarted when the editor opened it');
      }
    } finally {
      await server.stop();
    }
  }
}

async function readyTimes(installer: 'uv' | 'pip', uvPath: string | undefined): Promise<void> {
  const specs: [string, (dir: string) => NormalisedSpec | undefined][] = [
    ['default environment (no requirements)', () => undefined],
    ['one package from a local wheel', (dir) => normaliseEnvironmentSpec({ requirements: ['bench-pkg==1.0.0', `--find-links ${join(dir, 'wheels')}`, '--no-index'] }, dir)],
  ];
  if (!values.offline) specs.push(['requests from PyPI (5 packages)', (dir) => normaliseEnvironmentSpec({ requirements: ['requests==2.32.3'] }, dir)]);
  // The helper package's wheel is built once per version on a machine, not per build: build
  // it here, before anything is timed, in a shared cache every sample uses.
  const shared = mkdtempSync(join(tmpdir(), 'tandem-bench-shared-'));
  const env = uvPath ? { ...process.env, PATH: `${join(uvPath, '..')}:${process.env.PATH}` } : process.env;
  const warmup = new Environments({ cacheDir: join(shared, 'envs'), installer, logger: quiet, env, sharedCacheDir: shared });
  await warmup.resolve({ preferredPython: PYTHON });
  await warmup.close();
  for (const [label, specFor] of specs) {
    const cold: number[] = [];
    const hit: number[] = [];
    for (let i = 0; i < Math.min(SAMPLES, 3); i += 1) {
      const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-env-'));
      buildWheel(join(dir, 'wheels'), 'bench-pkg', '1.0.0');
      const environments = new Environments({ cacheDir: join(dir, 'envs'), installer, logger: quiet, env, sharedCacheDir: shared });
      try {
        let started = performance.now();
        const plan = await environments.resolve({ spec: specFor(dir), preferredPython: PYTHON });
        await environments.ensure(plan);
        cold.push(performance.now() - started);
        started = performance.now();
        const again = await environments.resolve({ spec: specFor(dir), preferredPython: PYTHON });
        await environments.ensure(again);
        hit.push(performance.now() - started);
      } finally {
        await environments.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    report(`ready, cold build, ${installer}: ${label}`, cold);
    report(`ready, cache hit, ${installer}: ${label}`, hit);
  }
  rmSync(shared, { recursive: true, force: true });
}

async function main(): Promise<void> {
  console.error(`Measuring on ${process.platform}, ${cpus().length} CPUs, load ${loadavg()[0].toFixed(1)}`);
  const python = await probeInterpreter(PYTHON);
  if (!python?.hasIpykernel) throw new Error(`${PYTHON} with ipykernel is needed (apt install python3-ipykernel)`);
  // uv from the PATH or the user's tools folder, installed there if needed.
  const uv = new UvTool(join(homedir(), '.cache', 'tandem', 'tools'), quiet, process.env, new AbortController().signal);
  const uvPath = (await uv.find()) ?? (await uv.install(python));

  await timeToFirstOutput();
  await readyTimes('pip', undefined);
  if (uvPath) await readyTimes('uv', uvPath);
  else console.error('  uv is not available: its figures are skipped');

  console.log(`\n| measurement | median | note |\n| --- | --- | --- |`);
  for (const [what, figure, note] of rows) console.log(`| ${what} | ${figure} | ${note} |`);
  console.log(`\nPython ${python.version} (${python.path}); ${SAMPLES} samples per figure (3 for builds).`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
