// Kernel figures (DESIGN.md section 5, issue 3): how long a person waits for a cell's first
// output, with a warm kernel and with a kernel that must start first, on Tandem, on Jupyter
// Server, and with the same ipykernel driven from this process with no server at all (the bound
// Tandem's overhead is measured against). One load process measures one target; the job's
// targets say which.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildWheel } from '../../test/environments/wheels.js';
import type { KernelParams } from '../config.js';
import { outputTextOf } from '../lib/cells.js';
import { BridgeKernel, benchKernelSpec, DirectKernel, type RunTimes } from '../lib/direct-kernel.js';
import { JupyterKernel, type WireMessage } from '../lib/jupyter-kernel.js';
import { codeNotebook } from '../lib/notebooks.js';
import { type RealClient, realClient, whenSynced } from '../lib/provider.js';
import { importNotebook } from '../lib/rooms.js';
import { summarize } from '../lib/stats.js';
import { poolStatus, TandemNotebook, type TandemRunTimes } from '../lib/tandem-kernel.js';
import type { ServerInfo } from '../servers/types.js';
import { sleep, waitUntil } from './common.js';
import type { Metric, SuiteResult, TargetTask } from './types.js';

// Each probe run prints a number no run has printed before, so a client can tell this run's
// output from the last one's. `<n>` rather than `n`: "1" is inside "10", "<1>" is not in "<10>".
const COUNTER = `_bench_n = globals().get("_bench_n", 0) + 1`;
export const PRINT = `${COUNTER}\nprint(f"<{_bench_n}>")`;
/** Prints, flushes, and keeps running: the output must reach people before the cell ends. */
const running = (seconds: number): string => `${COUNTER}\nprint(f"<{_bench_n}>", flush=True)\nimport time\ntime.sleep(${seconds})`;
export const WHOAMI = 'import sys, ipykernel\nprint(f"{sys.executable} (ipykernel {ipykernel.__version__})")';

/** What one warm run looked like from the requester and from a viewer; null where there is no viewer. */
interface WarmSample {
  requesterMs: number;
  viewerMs: number | null;
  doneMs: number;
  /** Tandem only: the run's stamps in the document, to split the time between server and kernel. */
  clock?: TandemRunTimes['clock'];
  precise?: TandemRunTimes['precise'];
}

/** A warm kernel on one target, ready to take runs of the probe cells. */
interface WarmTarget {
  /** Where the kernel runs, for the notes. */
  identity: string;
  print(expect: string): Promise<WarmSample>;
  running(expect: string): Promise<WarmSample>;
  close(): Promise<void>;
}

const ms = (p: KernelParams): number => p.timeoutSeconds * 1000;

export async function kernelWarm(task: TargetTask<KernelParams>): Promise<SuiteResult> {
  const { params } = task;
  const target = await openWarm(task);
  const notes = [`Kernel: ${target.identity}.`];
  try {
    let n = 0;
    for (let i = 0; i < params.warmupRuns; i++) await target.print(`<${++n}>`);
    const printed: WarmSample[] = [];
    for (let i = 0; i < params.warmSamples; i++) {
      printed.push(await target.print(`<${++n}>`));
      // A person does not click Run the instant the last output lands: leave the server a moment
      // to finish its own work for the run (records, saves), as it would have.
      await sleep(params.gapMs);
    }
    const runningCell: WarmSample[] = [];
    for (let i = 0; i < params.runningSamples; i++) {
      runningCell.push(await target.running(`<${++n}>`));
      await sleep(params.gapMs);
    }
    const pick = (xs: WarmSample[], f: (s: WarmSample) => number | null): number[] => xs.map(f).filter((v): v is number => v !== null);
    const viewer = summarize(pick(printed, (s) => s.viewerMs ?? s.requesterMs));
    const requester = summarize(pick(printed, (s) => s.requesterMs));
    const done = summarize(pick(printed, (s) => s.doneMs));
    const runViewer = summarize(pick(runningCell, (s) => s.viewerMs ?? s.requesterMs));
    const runRequester = summarize(pick(runningCell, (s) => s.requesterMs));
    if (printed.some((s) => s.viewerMs === null)) {
      notes.push('No server, so no viewers: the "at a viewer" rows are the first output at this process, which sent the request.');
    }
    const metrics: Metric[] = [
      { label: 'first output at a viewer, median', unit: 'ms', value: viewer.p50, better: 'lower' },
      { label: 'first output at a viewer, p99', unit: 'ms', value: viewer.p99, better: 'lower' },
      { label: 'first output at the requester, median', unit: 'ms', value: requester.p50, better: 'lower' },
      { label: 'first output at the requester, p99', unit: 'ms', value: requester.p99, better: 'lower' },
      { label: 'run finished at the requester, median', unit: 'ms', value: done.p50, better: 'lower' },
      { label: 'cell still running: first output at a viewer, median', unit: 'ms', value: runViewer.p50, better: 'lower' },
      { label: 'cell still running: first output at the requester, median', unit: 'ms', value: runRequester.p50, better: 'lower' },
      ...(stepBreakdown(printed, join(task.workDir, RUN_TIMINGS_FILE)) ?? breakdown(printed)),
    ];
    return { metrics, notes };
  } finally {
    // The figures are taken by now; a failed shutdown is worth a note, not the run.
    await target.close().catch((error: unknown) => notes.push(`Shutting the kernel down failed: ${(error as Error).message}`));
  }
}

/**
 * Where Tandem's time goes, from the stamps the server writes on the run's record (wall clock,
 * millisecond resolution, the same machine's clock as ours): medians of each step.
 */
function breakdown(samples: WarmSample[]): Metric[] {
  const clocks = samples.flatMap((s) => (s.clock?.queued && s.clock.started && s.clock.finished ? [s.clock] : []));
  if (clocks.length === 0) return [];
  const median = (f: (c: (typeof clocks)[number]) => number): number | null => summarize(clocks.map(f)).p50;
  return [
    { label: 'of which: request to run queued in the document (HTTP, server)', unit: 'ms', value: median((c) => c.queued! - c.sent), better: 'none' },
    { label: 'of which: queued to started by the kernel', unit: 'ms', value: median((c) => c.started! - c.queued!), better: 'none' },
    { label: 'of which: started to finished (kernel, with its reply and idle)', unit: 'ms', value: median((c) => c.finished! - c.started!), better: 'none' },
    { label: 'of which: finished to the output at the viewer', unit: 'ms', value: median((c) => c.viewer - c.finished!), better: 'none' },
  ];
}

/** Where the Tandem target's server writes its `--run-timings` marks, in the measurement's folder. */
export const RUN_TIMINGS_FILE = 'run-timings.jsonl';

type Marks = Partial<Record<'arrived' | 'request' | 'sources' | 'recorded' | 'enqueued' | 'started' | 'output' | 'written' | 'finished', number>>;

/**
 * Where Tandem's time goes, step by step, from the marks its server wrote with `--run-timings`
 * (sub-millisecond, the same clock as ours): medians of each step over the measured runs.
 * Null when there are no marks (another target, or a server without the option).
 */
function stepBreakdown(samples: WarmSample[], file: string): Metric[] | null {
  if (!existsSync(file)) return null;
  const marks = new Map<string, Marks>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const { runId, ...rest } = JSON.parse(line) as { runId: string } & Marks;
    marks.set(runId, rest);
  }
  const rows = samples.flatMap((s) => {
    const m = s.precise && marks.get(s.precise.runId);
    if (!s.precise || !m) return [];
    const { arrived, request, sources, recorded, enqueued, started, output, written } = m;
    if ([arrived, request, sources, recorded, enqueued, started, output, written].some((v) => v === undefined)) return [];
    return [
      {
        sent: s.precise.sent,
        viewer: s.precise.viewer,
        arrived: arrived!,
        request: request!,
        sources: sources!,
        recorded: recorded!,
        enqueued: enqueued!,
        started: started!,
        output: output!,
        written: written!,
      },
    ];
  });
  if (rows.length === 0) return null;
  const median = (f: (r: (typeof rows)[number]) => number): number | null => summarize(rows.map(f)).p50;
  const step = (label: string, f: (r: (typeof rows)[number]) => number): Metric => ({ label: `step: ${label}`, unit: 'ms', value: median(f), better: 'none' });
  return [
    step('request sent to its arrival at the server (HTTP client, loopback)', (r) => r.arrived - r.sent),
    step('arrival to the notebook (body parsing, validation, auth, notebook lookup)', (r) => r.request - r.arrived),
    step("waiting for the editor's state vector (its last keystrokes)", (r) => r.sources - r.request),
    step('run record in the document (stored and sent with the reply, at the end of the turn)', (r) => r.recorded - r.sources),
    step('handed to the kernel session', (r) => r.enqueued - r.recorded),
    step('hand-over to the kernel saying it started (ZeroMQ both ways, execute_input)', (r) => r.started - r.enqueued),
    step("kernel's own time to its first output (and ZeroMQ back)", (r) => r.output - r.started),
    step('output written to the document (stored in the log, sent to clients)', (r) => r.written - r.output),
    step("output sent to it being in the viewer's document (socket, client decode)", (r) => r.viewer - r.written),
    { label: 'runs in the step figures', unit: 'count', value: rows.length, better: 'none' },
  ];
}

async function openWarm(task: TargetTask<KernelParams>): Promise<WarmTarget> {
  const { params, server } = task;
  const sleepFor = params.runningSleepSeconds;
  if (task.target === 'direct' || task.target === 'bridge') {
    const spec = await benchKernelSpec();
    const kernel = task.target === 'direct' ? await DirectKernel.start(spec, task.workDir, ms(params)) : await BridgeKernel.start(spec, task.workDir);
    const asSample = (t: RunTimes, expect: string): WarmSample => {
      if (!t.firstText.includes(expect)) throw new Error(`expected ${expect} first, the kernel printed ${JSON.stringify(t.firstText)}`);
      return { requesterMs: t.firstOutputMs, viewerMs: null, doneMs: t.doneMs };
    };
    const identity = (await kernel.execute(WHOAMI, ms(params))).firstText.trim();
    return {
      identity: `${identity}, started by the kernel bridge's LocalRuntime in this process`,
      print: async (expect) => asSample(await kernel.execute(PRINT, ms(params)), expect),
      running: async (expect) => asSample(await kernel.execute(running(sleepFor), ms(params)), expect),
      close: () => kernel.shutdown(),
    };
  }
  if (!server) throw new Error(`target ${task.target} needs a server`);
  if (server.flavor === 'tandem') {
    const nb = await TandemNotebook.open(
      server,
      'kernel-warm.ipynb',
      [
        { id: 'whoami', source: WHOAMI },
        { id: 'print', source: PRINT },
        { id: 'running', source: running(sleepFor) },
      ],
      { viewer: true, syncTimeoutMs: ms(params) },
    );
    // The first run starts the kernel (and may build the default environment): not measured.
    await nb.run('whoami', 'ipykernel', ms(params) * 4);
    const identity = outputTextOf(nb.requester.notebook.ydoc, 'whoami').trim();
    const env = nb.kernelState().environment;
    const asSample = (t: TandemRunTimes): WarmSample => t;
    return {
      identity: `${identity}${env ? `, in the server's default environment ${String(env).slice(0, 12)}` : ''}`,
      print: async (expect) => asSample(await nb.run('print', expect, ms(params))),
      running: async (expect) => asSample(await nb.run('running', expect, ms(params))),
      close: async () => {
        await nb.shutdownKernel();
        nb.close();
      },
    };
  }
  if (server.flavor === 'jupyter') return openJupyterWarm(server, params);
  throw new Error(`no kernel figures for ${server.flavor}`);
}

/**
 * Jupyter Server: the requester gets outputs over its kernel socket and, as JupyterLab does with
 * jupyter-collaboration, writes them into the shared notebook, where a viewer sees them.
 */
async function openJupyterWarm(server: ServerInfo, params: KernelParams): Promise<WarmTarget> {
  const kernel = await JupyterKernel.start(server, 'python3', ms(params) * 4);
  const { fileId, sessionId } = await importNotebook(server, 'kernel-warm.ipynb', codeNotebook([{ id: 'probe', source: PRINT }]));
  const target = {
    serverUrl: `ws://${server.host}:${server.port}/api/collaboration/room`,
    roomName: `json:notebook:${fileId}`,
    params: { sessionId, token: server.token },
  };
  // Jupyter Server has no read-only role: a viewer is a client that never writes.
  const requester = realClient(target);
  const viewer = realClient(target);
  const clients: RealClient[] = [requester, viewer];
  if ((await Promise.all(clients.map((c) => whenSynced(c.provider, ms(params))))).includes(false)) {
    for (const c of clients) c.destroy();
    await kernel.shutdown();
    throw new Error('the collaboration clients did not sync');
  }
  const cell = (): ReturnType<typeof requester.notebook.getCell> => {
    const found = requester.notebook.cells.find((c) => c.id === 'probe');
    if (!found) throw new Error('probe cell missing from the shared notebook');
    return found;
  };
  const identity = (await kernel.execute(WHOAMI, ms(params))).firstOutput.content.text;
  const runOnce = async (code: string, expect: string): Promise<WarmSample> => {
    const probe = cell() as unknown as { setOutputs(o: unknown[]): void; updateOutputs(s: number, e: number, o: unknown[]): void; getOutputs(): unknown[] };
    // JupyterLab clears the cell's outputs as it sends the request, then adds each output as it
    // arrives; collaborators see both through the shared notebook.
    probe.setOutputs([]);
    const viewDoc = viewer.notebook.ydoc;
    let viewerMs: number | undefined;
    let started = 0;
    const onViewer = (): void => {
      if (viewerMs === undefined && outputTextOf(viewDoc, 'probe').includes(expect)) viewerMs = performance.now() - started;
    };
    viewDoc.on('update', onViewer);
    try {
      started = performance.now();
      const times = await kernel.execute(code, ms(params), (m: WireMessage) => {
        const n = probe.getOutputs().length;
        probe.updateOutputs(n, n, [{ output_type: m.header.msg_type, ...m.content }]);
      });
      const text = String(times.firstOutput.content.text ?? '');
      if (!text.includes(expect)) throw new Error(`expected ${expect} first, the kernel printed ${JSON.stringify(text)}`);
      if (!(await waitUntil(() => viewerMs !== undefined, ms(params), 1))) throw new Error('the output never reached the viewer');
      return { requesterMs: times.firstOutputMs, viewerMs: viewerMs!, doneMs: times.idleMs };
    } finally {
      viewDoc.off('update', onViewer);
    }
  };
  return {
    identity: `${String(identity).trim()}, started by Jupyter Server from the same kernelspec`,
    print: (expect) => runOnce(PRINT, expect),
    running: (expect) => runOnce(running(params.runningSleepSeconds), expect),
    close: async () => {
      for (const c of clients) c.destroy();
      await kernel.shutdown();
    },
  };
}

/** A kernel started and asked to print: time from the start to the first output; then it is shut down. */
async function timeColdStart(
  start: () => Promise<{ execute(code: string, timeoutMs: number): Promise<{ firstOutputMs: number }>; shutdown(): Promise<void> }>,
  timeoutMs: number,
): Promise<number> {
  const started = performance.now();
  const kernel = await start();
  const sent = performance.now();
  const t = await kernel.execute(PRINT, timeoutMs);
  await kernel.shutdown();
  return sent - started + t.firstOutputMs;
}

/**
 * Cold: a kernel must start before the first output. Each sample is a new notebook (Tandem) or
 * a new kernel (Jupyter Server, direct), timed from the request to run to the first output at
 * the requester; its kernel is shut down before the next.
 */
export async function kernelCold(task: TargetTask<KernelParams>): Promise<SuiteResult> {
  const { params, server } = task;
  const notes: string[] = [];
  const metrics: Metric[] = [];
  let first: number;
  const samples: number[] = [];
  if (task.target === 'direct') {
    const spec = await benchKernelSpec();
    const once = () => timeColdStart(() => DirectKernel.start(spec, task.workDir, ms(params)), ms(params));
    first = await once();
    for (let i = 0; i < params.coldSamples; i++) samples.push(await once());
    notes.push(
      `Kernel: ${spec.argv.slice(0, 3).join(' ')}, launched and connected by the kernel bridge in this process, then execute_request. With no server, "first run on a freshly started server" is the first kernel this process started.`,
    );
  } else if (server?.flavor === 'jupyter') {
    const once = () => timeColdStart(() => JupyterKernel.start(server, 'python3', ms(params)), ms(params));
    first = await once();
    for (let i = 0; i < params.coldSamples; i++) samples.push(await once());
    notes.push('"First run on a freshly started server" is the first kernel after the server answered /api/status.');
  } else if (server?.flavor === 'tandem') {
    const pooled = task.target !== 'tandem-no-pool';
    let fromPool = 0;
    const once = async (name: string, pauseMs = 0, metadata?: Record<string, unknown>): Promise<number> => {
      const nb = await TandemNotebook.open(server, `${name}.ipynb`, [{ id: 'print', source: PRINT }], { viewer: false, metadata, syncTimeoutMs: ms(params) });
      try {
        // A person reads the notebook for a moment before running it (the prestart's chance).
        if (pauseMs) await sleep(pauseMs);
        const t = await nb.run('print', '<1>', ms(params) * 10);
        if (nb.kernelState().pooled === true) fromPool++;
        await nb.shutdownKernel();
        return t.requesterMs;
      } finally {
        nb.close();
      }
    };
    // As soon as the server answers: a first user of a new server (the default environment is
    // built now, and with a pool the pool's first kernel may not be ready yet).
    first = await once('first');
    fromPool = 0;
    for (let i = 0; i < params.coldSamples; i++) {
      if (pooled) await waitForPool(server, ms(params) * 10);
      samples.push(await once(`new-${i}`));
    }
    metrics.push({ label: 'kernels taken from the warm pool', unit: 'count', value: fromPool, better: 'none' });
    if (pooled) notes.push(`Before each sample the pool is refilled (GET /api/environments); ${fromPool} of ${params.coldSamples} runs took a pooled kernel.`);
    if (!pooled && params.ownEnvironment) metrics.push(...(await ownEnvironment(server, params, once)));
  } else {
    throw new Error(`no cold kernel figures for target ${task.target}`);
  }
  const s = summarize(samples);
  metrics.unshift(
    { label: 'first output in a new notebook, median', unit: 'ms', value: s.p50, better: 'lower' },
    { label: 'first output in a new notebook, slowest', unit: 'ms', value: s.max, better: 'lower' },
    { label: 'first output, first run on a freshly started server', unit: 'ms', value: first, better: 'lower' },
  );
  return { metrics, notes };
}

async function waitForPool(server: ServerInfo, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const pool = await poolStatus(server);
    if (!pool || pool.ready >= pool.size) return;
    await sleep(20);
  }
  throw new Error(`the warm pool did not refill within ${timeoutMs} ms`);
}

/**
 * A notebook with its own environment (one package, from a wheel in a local folder so that no
 * index is involved): the first one builds it on the way to its first output; later notebooks
 * with the same specification find it built, and their kernel is prestarted when an editor
 * opens them, so reading before running hides the start.
 */
async function ownEnvironment(
  server: ServerInfo,
  params: KernelParams,
  once: (name: string, pauseMs?: number, metadata?: Record<string, unknown>) => Promise<number>,
): Promise<Metric[]> {
  if (!server.root) throw new Error('Tandem did not say where its root is');
  mkdirSync(join(server.root, 'wheels'), { recursive: true });
  buildWheel(join(server.root, 'wheels'), 'bench-pkg', '1.0.0');
  const metadata = { tandem: { environment: { requirements: ['bench-pkg==1.0.0', '--find-links ./wheels', '--no-index'] } } };
  const built = await once('own-first', 0, metadata);
  const atOnce: number[] = [];
  const afterReading: number[] = [];
  for (let i = 0; i < params.coldSamples; i++) atOnce.push(await once(`own-now-${i}`, 0, metadata));
  for (let i = 0; i < params.coldSamples; i++) afterReading.push(await once(`own-read-${i}`, params.readingPauseMs, metadata));
  const secs = (params.readingPauseMs / 1000).toFixed(0);
  return [
    { label: 'own environment, first notebook (environment built on the way), first output', unit: 'ms', value: built, better: 'lower' },
    { label: 'own environment already built, run at once, median', unit: 'ms', value: summarize(atOnce).p50, better: 'lower' },
    { label: `own environment already built, run ${secs} s after opening, median`, unit: 'ms', value: summarize(afterReading).p50, better: 'lower' },
  ];
}
