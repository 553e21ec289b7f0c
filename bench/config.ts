// The one place where workloads are sized. `full` is what RESULTS.md reports by default;
// `quick` (npm run bench -- --quick) keeps every workload but shrinks it to a minute or two.
import type { Flavor } from './servers/types.js';

export interface PropagationParams {
  observers: number;
  editsPerSecond: number;
  seconds: number;
  /** Edits before this many seconds are not measured (JIT, connection warm-up). */
  warmupSeconds: number;
}
export interface PairingParams {
  editors: number;
  editsPerSecond: number;
  seconds: number;
  warmupSeconds: number;
}
export interface JoinParams {
  clients: number;
  notebookBytes: number;
  timeoutSeconds: number;
}
export interface PresenceParams {
  clients: number;
  awarenessHz: number;
  /** One writer types this fast while the presence load runs; its edits' latency is measured. */
  editsPerSecond: number;
  seconds: number;
  warmupSeconds: number;
}
export interface FootprintParams {
  /** The shortest window over which the lowest RSS is read (the whole of a quick run's idle). */
  settleMs: number;
  /**
   * Milliseconds the server is left idle for each reading, whose last half is sampled. A
   * garbage-collected runtime gives back an idle heap's headroom only some seconds after the
   * last allocation (V8's memory reducer, about 10-15 s); sampled sooner, RSS measures how far
   * the heap grew while the load arrived rather than what the load holds.
   */
  idleMs: number;
  idleConnections: number;
  /** Loopback addresses the idle connections come from (any of 127/8), as from many machines. */
  addresses: number;
  notebooks: number;
  /**
   * RSS is read this many times as the connections join, or the notebooks load (after each
   * equal share of them), and the cost of one is the slope through all readings: one reading
   * that V8's heap resizing moves by a few MB then tilts the line a little instead of deciding
   * the figure.
   */
  readings: number;
  /** Size of the made-up notebook (figures, tables, text) each loaded room holds. */
  notebookBytes: number;
}
export interface AudienceParams {
  /** Idle viewers (a viewer share link on Tandem) following one notebook. */
  viewers: number;
  /** Loopback addresses the viewers connect from, spread evenly. */
  addresses: number;
  /** One editor types this fast while they follow. */
  editsPerSecond: number;
  seconds: number;
  warmupSeconds: number;
  /** Milliseconds over which RSS is sampled before and after the viewers join. */
  settleMs: number;
}
export interface ConformanceParams {
  edits: number;
}
export interface KernelParams {
  /** Unmeasured runs on a warm kernel first (JIT, first-use caches on every side). */
  warmupRuns: number;
  /** Measured runs of a cell that prints and ends, on a warm kernel. */
  warmSamples: number;
  /** Measured runs of a cell that prints, flushes and keeps running for runningSleepSeconds. */
  runningSamples: number;
  runningSleepSeconds: number;
  /** Pause between warm runs, so each starts on an idle kernel and server. */
  gapMs: number;
  /** New notebooks (or kernels) per cold-start figure, after the first on a fresh server. */
  coldSamples: number;
  /** Tandem without a pool also times notebooks with their own (one-package) environment. */
  ownEnvironment: boolean;
  /** How long a person reads a notebook before running it, for the prestart figure. */
  readingPauseMs: number;
  /** Per request and kernel start; the first run on a fresh Tandem gets ten times this (it builds an environment). */
  timeoutSeconds: number;
}
export interface EnvironmentParams {
  /** Cold builds per figure (each in a new cache). */
  samples: number;
  installers: Array<'pip' | 'uv'>;
  /** Also build an environment with a package from PyPI (needs the network). */
  pypi: boolean;
}

export interface FailoverParams {
  /** Owners killed (each on a fresh notebook, the dead replica started again after). */
  repetitions: number;
  /** For a run to be accepted, and for its output. */
  timeoutSeconds: number;
}
export interface ViewersParams {
  /** Viewers on each process: on one process this many, on a cluster this many per replica. */
  viewersPerReplica: number;
  notebookBytes: number;
  settleMs: number;
}
/** Cluster mode (`--redis`, three replicas), each workload beside one process in the same run. */
export interface ClusterParams {
  propagation: PropagationParams[];
  join: JoinParams;
  presence: PresenceParams;
  failover: FailoverParams;
  /** One failover column per lease length (`--lease`, seconds). */
  leaseSeconds: number[];
  viewers: ViewersParams;
  /** Rounds of the latency workloads, the two columns alternated, each figure the median. */
  rounds: number;
}

export interface BenchConfig {
  servers: Flavor[];
  /** The provider check runs against the first of these that is available: once per run. */
  conformanceOn: Flavor[];
  /** Connections opened at once while clients join (the join storm ignores this on purpose). */
  connectBatch: number;
  propagation: PropagationParams[];
  pairing: PairingParams;
  join: JoinParams;
  presence: PresenceParams;
  footprint: FootprintParams;
  audience: AudienceParams;
  conformance: ConformanceParams;
  /** Servers the kernel jobs compare Tandem with (only Jupyter Server runs kernels). */
  kernelServers: Flavor[];
  kernel: KernelParams;
  environments: EnvironmentParams;
  cluster: ClusterParams;
  /** A load process that runs longer than this is killed and its figures marked missing. */
  jobTimeoutSeconds: number;
}

const SERVERS: Flavor[] = ['tandem', 'y-websocket', 'hocuspocus', 'jupyter', 'floor'];
const FOOTPRINT_NOTEBOOK_BYTES = 110_000; // images and text, the size of a typical chapter of analysis

const CONFORMANCE_ON: Flavor[] = ['tandem', 'y-websocket', 'jupyter', 'floor'];

export const full: BenchConfig = {
  servers: SERVERS,
  conformanceOn: CONFORMANCE_ON,
  connectBatch: 50,
  propagation: [10, 100, 1000].map((observers) => ({ observers, editsPerSecond: 50, seconds: 10, warmupSeconds: 2 })),
  pairing: { editors: 20, editsPerSecond: 10, seconds: 15, warmupSeconds: 2 },
  join: { clients: 200, notebookBytes: 5_000_000, timeoutSeconds: 90 },
  presence: { clients: 500, awarenessHz: 1, editsPerSecond: 10, seconds: 15, warmupSeconds: 3 },
  footprint: { settleMs: 2000, idleMs: 20_000, idleConnections: 2000, addresses: 8, notebooks: 200, readings: 4, notebookBytes: FOOTPRINT_NOTEBOOK_BYTES },
  audience: { viewers: 10_000, addresses: 40, editsPerSecond: 5, seconds: 10, warmupSeconds: 2, settleMs: 2000 },
  conformance: { edits: 300 },
  kernelServers: ['jupyter'],
  kernel: {
    warmupRuns: 5,
    warmSamples: 200,
    runningSamples: 20,
    runningSleepSeconds: 0.3,
    gapMs: 50,
    coldSamples: 10,
    ownEnvironment: true,
    readingPauseMs: 2000,
    timeoutSeconds: 30,
  },
  environments: { samples: 3, installers: ['pip', 'uv'], pypi: true },
  cluster: {
    propagation: [100, 500, 1000].map((observers) => ({ observers, editsPerSecond: 50, seconds: 10, warmupSeconds: 2 })),
    // The size of the notebook y-redis's join storm was measured on (issue 17).
    join: { clients: 600, notebookBytes: 1_700_000, timeoutSeconds: 120 },
    presence: { clients: 500, awarenessHz: 1, editsPerSecond: 10, seconds: 15, warmupSeconds: 3 },
    failover: { repetitions: 3, timeoutSeconds: 60 },
    leaseSeconds: [5, 2],
    viewers: { viewersPerReplica: 1000, notebookBytes: FOOTPRINT_NOTEBOOK_BYTES, settleMs: 2000 },
    rounds: 3,
  },
  jobTimeoutSeconds: 180,
};

// Jupyter Server takes seconds to start for each of the run's jobs; the quick run leaves it out
// of the document workloads, but keeps it for the two kernel jobs, where it is the only peer.
export const quick: BenchConfig = {
  servers: ['tandem', 'y-websocket', 'hocuspocus', 'floor'],
  conformanceOn: CONFORMANCE_ON,
  connectBatch: 50,
  propagation: [{ observers: 100, editsPerSecond: 50, seconds: 3, warmupSeconds: 0.5 }],
  pairing: { editors: 20, editsPerSecond: 10, seconds: 3, warmupSeconds: 0.5 },
  join: { clients: 20, notebookBytes: 1_500_000, timeoutSeconds: 30 },
  presence: { clients: 100, awarenessHz: 1, editsPerSecond: 10, seconds: 3, warmupSeconds: 1 },
  footprint: { settleMs: 1500, idleMs: 0, idleConnections: 100, addresses: 2, notebooks: 20, readings: 2, notebookBytes: FOOTPRINT_NOTEBOOK_BYTES },
  audience: { viewers: 2000, addresses: 10, editsPerSecond: 5, seconds: 3, warmupSeconds: 1, settleMs: 1000 },
  conformance: { edits: 60 },
  kernelServers: ['jupyter'],
  kernel: {
    warmupRuns: 5,
    warmSamples: 40,
    runningSamples: 5,
    runningSleepSeconds: 0.3,
    gapMs: 50,
    coldSamples: 3,
    ownEnvironment: true,
    readingPauseMs: 2000,
    timeoutSeconds: 30,
  },
  // No PyPI in the quick run: the network makes it slow and its figure noisy.
  environments: { samples: 1, installers: ['pip', 'uv'], pypi: false },
  cluster: {
    propagation: [{ observers: 60, editsPerSecond: 50, seconds: 3, warmupSeconds: 0.5 }],
    join: { clients: 30, notebookBytes: 500_000, timeoutSeconds: 30 },
    presence: { clients: 60, awarenessHz: 1, editsPerSecond: 10, seconds: 4, warmupSeconds: 1 },
    failover: { repetitions: 1, timeoutSeconds: 60 },
    leaseSeconds: [2],
    viewers: { viewersPerReplica: 100, notebookBytes: FOOTPRINT_NOTEBOOK_BYTES, settleMs: 1000 },
    rounds: 1,
  },
  jobTimeoutSeconds: 60,
};
