// Every suite by name, with the workload description printed above its table in RESULTS.md.
import type { BenchConfig } from '../config.js';
import type { Flavor } from '../servers/types.js';
import { audience } from './audience.js';
import { clusterJobs } from './cluster-jobs.js';
import { conformance } from './conformance.js';
import { environments } from './environments.js';
import { failover } from './failover.js';
import { footprintConnections, footprintNotebooks } from './footprint.js';
import { join } from './join.js';
import { kernelCold, kernelWarm, RUN_TIMINGS_FILE } from './kernel.js';
import { kernelChannels } from './kernel-channels.js';
import { pairing } from './pairing.js';
import { presence } from './presence.js';
import { propagation } from './propagation.js';
import type { Suite } from './types.js';
import { viewers } from './viewers.js';

export const SUITES = {
  conformance,
  propagation,
  pairing,
  join,
  presence,
  'footprint-connections': footprintConnections,
  'footprint-notebooks': footprintNotebooks,
  audience,
  'kernel-warm': kernelWarm,
  'kernel-cold': kernelCold,
  'kernel-channels': kernelChannels,
  environments,
  failover,
  viewers,
} satisfies Record<string, Suite<never>>;

export type SuiteName = keyof typeof SUITES;

/** One column of a job's table: a server (fresh for each job), or something measured without one. */
export interface Target {
  /** Unique within the job; the key of its results. */
  key: string;
  /** Column heading; a server target without one takes its launcher's label. */
  label?: string;
  /** The server started for this target, or null when the load process measures on its own. */
  server: Flavor | null;
  /** Extra command-line options for that server. */
  serverArgs?: string[];
  /**
   * Tandem's own figures; a peer's (a loss against it is a loss); or a bound that no server can
   * beat (the floor relay, the kernel driven directly, the installer alone), to show overhead;
   * or Tandem itself run another way, to compare with (one process, beside a cluster).
   */
  role: 'tandem' | 'peer' | 'bound' | 'baseline';
}

export interface Job {
  /** Unique within a run: suite plus variant. */
  id: string;
  suite: SuiteName;
  title: string;
  workload: string;
  params: unknown;
  /** Default: every server of the run, each a column. */
  targets?: Target[];
  /** Default: the config's jobTimeoutSeconds. */
  timeoutSeconds?: number;
  /** Rounds of the columns, alternated, each figure the median (default 1). */
  rounds?: number;
  /** Jobs with a section are reported apart, after the comparison with the peers. */
  section?: 'cluster';
}

/** The columns of a job that names none: every server, Tandem first and the floor last. */
export function serverTargets(flavors: Flavor[]): Target[] {
  return flavors.map((f) => ({ key: f, server: f, role: f === 'tandem' ? 'tandem' : f === 'floor' ? 'bound' : 'peer' }));
}

/** The run's jobs, in the order they run and appear. */
export function jobsFor(c: BenchConfig): Job[] {
  const jobs: Job[] = [
    {
      id: 'conformance',
      suite: 'conformance',
      title: 'Load client check',
      workload: `The cheap load client and y-websocket's WebsocketProvider (with @jupyter/ydoc's YNotebook) make ${c.conformance.edits} interleaved edits (typing, inserting and deleting cells) in one notebook; both, and a client joining afterwards, must hold the same document. Once per run, on the first server available of ${c.conformanceOn.join(', ')}; Hocuspocus's framing is checked by the pairing run instead (all replicas equal).`,
      params: c.conformance,
    },
  ];
  for (const p of c.propagation) {
    jobs.push({
      id: `propagation-${p.observers}`,
      suite: 'propagation',
      title: `Propagation, ${p.observers} observers`,
      workload: `One writer types ${p.editsPerSecond} edits/s at the end of a cell for ${p.seconds} s (the first ${p.warmupSeconds} s unmeasured); ${p.observers} read-only observers (viewer share links on Tandem) receive them. Latency is from the writer's send to each observer's receipt.`,
      params: p,
    });
  }
  const pr = c.pairing;
  jobs.push({
    id: 'pairing',
    suite: 'pairing',
    title: `Pairing, ${pr.editors} editors`,
    workload: `${pr.editors} editors each type ${pr.editsPerSecond} edits/s into their own cell for ${pr.seconds} s (the first ${pr.warmupSeconds} s unmeasured); latency is measured at every other editor. At the end all replicas and a freshly joined client must be equal.`,
    params: pr,
  });
  const j = c.join;
  jobs.push({
    id: 'join',
    suite: 'join',
    title: `Join storm, ${j.clients} clients`,
    workload: `${j.clients} clients open the same ${(j.notebookBytes / 1e6).toFixed(1)} MB notebook (made up from a fixed seed like a real analysis: prose, code, printed output, HTML tables, PNG figures, tracebacks) at the same moment; the room is already open. Time runs from the storm's start to each client's receipt of the whole state. Timeout ${j.timeoutSeconds} s.`,
    params: j,
  });
  const p = c.presence;
  jobs.push({
    id: 'presence',
    suite: 'presence',
    title: `Presence, ${p.clients} clients`,
    workload: `${p.clients} editors each send an awareness update (cursor) ${p.awarenessHz}×/s, at random phases, while one writer types ${p.editsPerSecond} edits/s; measured over ${p.seconds - p.warmupSeconds} s after ${p.warmupSeconds} s of warm-up. Latency is the writer's edits at all ${p.clients} clients.`,
    params: p,
  });
  const f = c.footprint;
  jobs.push({
    id: 'footprint-connections',
    suite: 'footprint-connections',
    title: 'Footprint: idle connections',
    timeoutSeconds: 120 + ((f.readings + 1) * f.idleMs) / 1000 + f.idleConnections / 20,
    workload: `${f.idleConnections} editor connections (from ${f.addresses} loopback addresses) join one small notebook in ${f.readings} equal shares and stay idle; the memory per connection is the slope of settled server RSS through the readings before and after each share. Each RSS reading follows ${f.idleMs / 1000} s of idle, so that a garbage-collected server has given back its heap's headroom.`,
    params: f,
  });
  jobs.push({
    id: 'footprint-notebooks',
    suite: 'footprint-notebooks',
    title: 'Footprint: loaded notebooks',
    timeoutSeconds: 120 + ((f.readings + 1) * f.idleMs) / 1000 + f.notebooks / 2,
    workload: `${f.notebooks} copies of a ${(f.notebookBytes / 1e3).toFixed(0)} KB notebook (made up like a real analysis: figures, tables, text) are opened in ${f.readings} equal shares, each with one connection keeping it open; the memory per notebook is the slope of settled server RSS through the readings. Each RSS reading follows ${f.idleMs / 1000} s of idle, as above.`,
    params: f,
  });
  const a = c.audience;
  jobs.push({
    id: 'audience',
    suite: 'audience',
    title: `Audience, ${a.viewers.toLocaleString('en')} idle viewers`,
    workload: `${a.viewers.toLocaleString('en')} viewers (one viewer share link on Tandem, from ${a.addresses} loopback addresses) join one small notebook, ${c.connectBatch} at a time, and follow it while one editor types ${a.editsPerSecond} edits/s for ${a.seconds} s (the first ${a.warmupSeconds} s unmeasured). Latency is from the editor's send to each viewer's receipt; RSS is settled after the viewers joined, and its peak over the whole run. Goal: every edit delivered, server RSS at most 400 MB.`,
    params: a,
    targets: [
      { key: 'tandem', server: 'tandem', role: 'tandem' },
      { key: 'floor', server: 'floor', role: 'bound' },
    ],
    timeoutSeconds: 120 + a.viewers / 20 + a.seconds * 2,
  });
  jobs.push(...kernelJobs(c), ...clusterJobs(c));
  return jobs;
}

const DIRECT: Target = { key: 'direct', label: 'direct ZeroMQ', server: null, role: 'bound' };

function kernelJobs(c: BenchConfig): Job[] {
  const k = c.kernel;
  // The collaboration extension has nothing to do with kernels: name the server (its version is
  // in RESULTS.md's list of servers).
  const peers: Target[] = c.kernelServers.map((f) => ({ key: f, label: f === 'jupyter' ? 'Jupyter Server' : undefined, server: f, role: 'peer' }));
  const kernel =
    "Every target runs the same kernel: the `python3` kernelspec Tandem finds (Debian's /usr/bin/python3, ipykernel 6.17); Jupyter Server is given that kernelspec too";
  const e = c.environments;
  return [
    {
      id: 'kernel-warm',
      suite: 'kernel-warm',
      title: 'Kernel: first output, warm kernel',
      workload:
        `${kernel}. After ${k.warmupRuns} unmeasured runs, ${k.warmSamples} runs of a cell that prints a new number and ends, ${k.gapMs} ms apart, then ${k.runningSamples} of one that prints it with flush=True and sleeps ${k.runningSleepSeconds} s ("cell still running"). ` +
        `Time runs from the request to the moment the number is in the client. Tandem: \`POST /api/notebooks/{fileId}/execute\` by an editor (with its state vector, as the web client sends it), read in the editor's and a viewer's YNotebook (y-websocket provider, viewer share link). ` +
        'Jupyter Server: `execute_request` on the kernel channels WebSocket, read as the first output on iopub (the requester); as JupyterLab does with jupyter-collaboration, the requester then writes it into the shared notebook, where a second YNotebook client (the viewer) reads it. ' +
        'Tandem\'s server runs with `--run-timings`, marking each run\'s steps; the "step" rows split its path from the request to the output at the viewer (the median of each step, so they need not add up to the median total). ' +
        `"kernel bridge alone" is Tandem's KernelSession and "direct ZeroMQ" its raw KernelConnection, each in the load process with no server: the bounds for Tandem's overhead.`,
      params: k,
      targets: [
        // The server marks each run's steps (execution/run-timings.ts) for the breakdown rows.
        { key: 'tandem', server: 'tandem', serverArgs: ['--run-timings', `{workDir}/${RUN_TIMINGS_FILE}`], role: 'tandem' },
        ...peers,
        { key: 'bridge', label: 'kernel bridge alone', server: null, role: 'bound' },
        DIRECT,
      ],
      timeoutSeconds: 120 + ((k.warmSamples + k.warmupRuns) * (k.gapMs + 200) + k.runningSamples * (k.runningSleepSeconds * 1000 + k.gapMs + 400)) / 1000,
    },
    {
      id: 'kernel-channels',
      suite: 'kernel-channels',
      title: 'Kernel: execute round trip over the Jupyter kernel API',
      workload:
        `${kernel}. Each server is given the notebook, then \`POST /api/sessions\` on its path (on Tandem, the notebook's shared kernel) and the kernel channels WebSocket with the JSON protocol, the same client for both; after ${k.warmupRuns} unmeasured runs, ${k.warmSamples} \`execute_request\`s of code that prints a new number and ends, alternated with ${k.warmSamples} that name the notebook's cell in \`metadata.cellId\` as JupyterLab does (Tandem then records the run and writes its outputs into the shared document; Jupyter Server and the kernel ignore it), ${k.gapMs} ms apart. ` +
        'Time runs from sending the request to holding both its `execute_reply` (shell) and the idle status (iopub). "direct ZeroMQ" is the kernel bridge\'s raw KernelConnection in the load process with no server, and no metadata: the bound.',
      params: k,
      targets: [{ key: 'tandem', server: 'tandem', role: 'tandem' }, ...peers, DIRECT],
      timeoutSeconds: 120 + ((2 * k.warmSamples + k.warmupRuns) * (k.gapMs + 200)) / 1000,
    },
    {
      id: 'kernel-cold',
      suite: 'kernel-cold',
      title: 'Kernel: first output, cold start',
      workload:
        `${kernel}. A cell that prints runs first in a new notebook, whose kernel must start; time to the first output at the requester, ${k.coldSamples} new notebooks (or kernels) per figure, each shut down before the next, plus the first run on a freshly started server. ` +
        `Tandem: the notebook is written and opened by an editor, then \`POST .../execute\`, read in the editor's YNotebook; with \`--warm-pool 0\`, and with the default warm pool (refilled before each sample). ` +
        'Jupyter Server: `POST /api/kernels`, the channels socket, kernel_info until iopub answers, `execute_request`, first output on iopub. ' +
        `Direct ZeroMQ: the kernel bridge's LocalRuntime and KernelConnection in the load process. ` +
        (k.ownEnvironment
          ? `Tandem without a pool also runs notebooks that declare their own environment (one package from a local wheel): the first builds it on the way; later ones find it built and are run at once, or after ${k.readingPauseMs / 1000} s of reading (their kernel is prestarted when an editor opens them).`
          : ''),
      params: k,
      targets: [
        { key: 'tandem-no-pool', label: 'Tandem, no warm pool', server: 'tandem', serverArgs: ['--warm-pool', '0'], role: 'tandem' },
        { key: 'tandem', label: 'Tandem, default warm pool', server: 'tandem', role: 'tandem' },
        ...peers,
        DIRECT,
      ],
      timeoutSeconds: 300 + k.coldSamples * (k.timeoutSeconds + k.readingPauseMs / 1000) * 2,
    },
    {
      id: 'environments',
      suite: 'environments',
      title: 'Environments: ready time',
      workload:
        `Time until a notebook's environment is ready to start a kernel in, over Debian's /usr/bin/python3 (which has ipykernel), built with ${e.installers.join(' and ')}: a cold build (a new cache), and a cache hit (a second notebook with the same specification). ` +
        `Specifications: none (the default environment), one package from a local wheel (no index)${e.pypi ? ', and requests==2.32.3 from PyPI' : ''}; median of ${e.samples}. ` +
        `"Tandem" is the kernel bridge's Environments as the server uses it (resolve, content-addressed cache, build in a temporary place and rename, the helper package installed into every environment), in the load process; "installer alone" runs the same venv and install commands and nothing else. ` +
        'Jupyter Server has no per-notebook environments (a kernelspec per environment is made by hand), so it has no column.',
      params: e,
      targets: [
        { key: 'tandem', label: 'Tandem', server: null, role: 'tandem' },
        { key: 'installer', label: 'installer alone', server: null, role: 'bound' },
      ],
      timeoutSeconds: 120 + e.samples * (e.pypi ? 3 : 2) * e.installers.length * 60,
    },
  ];
}
