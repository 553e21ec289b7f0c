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
  /** Milliseconds over which RSS is sampled before and after the load. */
  settleMs: number;
  idleConnections: number;
  notebooks: number;
  /** Corpus notebook each loaded room holds. */
  notebookFile: string;
}
export interface ConformanceParams {
  edits: number;
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
  conformance: ConformanceParams;
  /** A load process that runs longer than this is killed and its figures marked missing. */
  jobTimeoutSeconds: number;
}

const SERVERS: Flavor[] = ['tandem', 'y-websocket', 'hocuspocus', 'jupyter', 'floor'];
const FOOTPRINT_NOTEBOOK = 'pdsh-04.00-Introduction-To-Matplotlib.ipynb'; // 110 KB, images and text

const CONFORMANCE_ON: Flavor[] = ['tandem', 'y-websocket', 'jupyter', 'floor'];

export const full: BenchConfig = {
  servers: SERVERS,
  conformanceOn: CONFORMANCE_ON,
  connectBatch: 50,
  propagation: [10, 100, 1000].map((observers) => ({ observers, editsPerSecond: 50, seconds: 10, warmupSeconds: 2 })),
  pairing: { editors: 20, editsPerSecond: 10, seconds: 15, warmupSeconds: 2 },
  join: { clients: 200, notebookBytes: 5_000_000, timeoutSeconds: 90 },
  presence: { clients: 500, awarenessHz: 1, editsPerSecond: 10, seconds: 15, warmupSeconds: 3 },
  footprint: { settleMs: 2000, idleConnections: 500, notebooks: 20, notebookFile: FOOTPRINT_NOTEBOOK },
  conformance: { edits: 300 },
  jobTimeoutSeconds: 180,
};

// Jupyter Server takes seconds to start for each of the run's jobs; the quick run leaves it out.
export const quick: BenchConfig = {
  servers: ['tandem', 'y-websocket', 'hocuspocus', 'floor'],
  conformanceOn: CONFORMANCE_ON,
  connectBatch: 50,
  propagation: [{ observers: 100, editsPerSecond: 50, seconds: 3, warmupSeconds: 0.5 }],
  pairing: { editors: 20, editsPerSecond: 10, seconds: 3, warmupSeconds: 0.5 },
  join: { clients: 20, notebookBytes: 1_500_000, timeoutSeconds: 30 },
  presence: { clients: 100, awarenessHz: 1, editsPerSecond: 10, seconds: 3, warmupSeconds: 1 },
  footprint: { settleMs: 800, idleConnections: 100, notebooks: 5, notebookFile: FOOTPRINT_NOTEBOOK },
  conformance: { edits: 60 },
  jobTimeoutSeconds: 60,
};
