// What the orchestrator knows about a server under test, and what it hands to load processes.

export type Flavor = 'tandem' | 'tandem-cluster' | 'y-websocket' | 'hocuspocus' | 'jupyter' | 'floor';

/** One replica of a cluster (Tandem's cluster mode). */
export interface ReplicaInfo {
  host: string;
  port: number;
  pid: number;
}

/** Everything a load process needs to reach a running server; plain JSON. */
export interface ServerInfo {
  flavor: Flavor;
  /** Name in tables, with version: "y-websocket 1.5.4". */
  label: string;
  host: string;
  port: number;
  /** Owner token (Tandem, Jupyter Server); empty for servers without auth. */
  token: string;
  pid: number;
  /** Directory the server serves notebooks from (Tandem, Jupyter Server). */
  root?: string;
  /** A cluster's replicas, the first being this info's host, port and pid; absent for one process. */
  replicas?: ReplicaInfo[];
  /** The Redis a cluster's replicas share. */
  redisUrl?: string;
  /** Every process of the target whose CPU counts as the server's (replicas and Redis); absent means [pid]. */
  pids?: number[];
  /** The options a replica was started with after `serve --root --state-dir --token --port`, to start another like it. */
  serverArgs?: string[];
}

export interface RunningServer {
  info: ServerInfo;
  /** Resolves with the exit code or signal when the process ends by itself or is stopped. */
  exited: Promise<number | string>;
  stop(): Promise<void>;
  /** Sends a signal at once (the chaos run's SIGKILL). */
  kill(signal: NodeJS.Signals): void;
}

export interface StartOptions {
  /** A fresh directory for this run's files. */
  workDir: string;
  logFile: string;
  /** Fixed port (the chaos run restarts on the same one); 0 or absent picks a free one. */
  port?: number;
  /** Extra command-line options (Tandem's `--warm-pool 0`); launchers without options ignore them. */
  args?: string[];
}

export interface Launcher {
  flavor: Flavor;
  label: string;
  /** Null if the server can run here, else why not (shown in RESULTS.md). */
  unavailable(): Promise<string | null>;
  start(opts: StartOptions): Promise<RunningServer>;
}
