// The shared notebook document, as both the server and the browser client read it.
// Cells, sources, outputs and `meta` follow @jupyter/ydoc's YNotebook; the maps below are
// Tandem's own state, written only by the server and never saved into the .ipynb file.

/** Top-level Y.Map with the notebook's kernel status (see KernelState). */
export const KERNEL_MAP = 'kernel';
/** Top-level Y.Map of run id -> ExecutionRecord (plain JSON values, replaced whole). */
export const EXECUTIONS_MAP = 'executions';
/** Top-level Y.Map of cell id -> QueryState for SQL cells (plain JSON values, replaced whole). */
export const QUERIES_MAP = 'queries';
/** Top-level Y.Map of job id -> JobProgress: headless runs of the notebook (plain JSON values, replaced whole). */
export const JOBS_MAP = 'jobs';
/** Top-level Y.Map of the notebook's storage: `paused` (a StoragePause) while edits cannot reach it. */
export const STORAGE_MAP = 'storage';
/** Roots that only the server may change; a client update that touches them is refused (server/protocol/client-writes.ts). */
export const SERVER_OWNED_ROOTS = [KERNEL_MAP, EXECUTIONS_MAP, QUERIES_MAP, JOBS_MAP, STORAGE_MAP] as const;

/** Saving to the notebook's storage (a bucket) is paused: edits are held on the server until it is back. */
export interface StoragePause {
  /** Epoch milliseconds. */
  since: number;
  message: string;
}

/**
 * Key on a cell's Y.Map (and on `meta`) holding facts about the file that the YNotebook
 * schema has no place for: fields a newer nbformat added, a cell type this version does not
 * know, whether the cell had an id in a pre-4.5 file. Export reads it to write the file back
 * unchanged; clients ignore it.
 */
export const FILE_FACTS_KEY = 'tandem_file';

export type KernelStatus = 'starting' | 'idle' | 'busy' | 'restarting' | 'dead' | 'provisioning' | 'shutdown';

/** Values of the `kernel` map. Each key is set separately. */
export interface KernelState {
  status?: KernelStatus;
  /** Why the kernel is in this state, for people: "Kernel died (exit code 1)". */
  message?: string;
  kernelspec?: { name: string; display_name: string; language?: string };
  /** Id of the environment the kernel runs in (absent for a kernelspec used as installed). */
  environment?: string;
  /** While status is 'provisioning': the build's phase, its progress (0 to 1) and latest installer line. */
  provisioning?: { phase: string; progress?: number; line?: string };
  /** The kernel was taken from the warm pool (started ahead of time) rather than started for this notebook. */
  pooled?: boolean;
  /**
   * Set while a kernel runs and the notebook's environment specification now resolves to
   * another environment: the id a restart would switch to ("kernelspec" when it would run an
   * installed kernelspec as it is). Removed once they agree again.
   */
  pendingEnvironment?: string;
  /** Why the notebook's environment specification cannot be used, for people; absent when it can. */
  environmentError?: string;
  /** Epoch milliseconds. */
  startedAt?: number;
  lastActivity?: number;
  /**
   * Cluster mode: the server that ran the kernel handed the notebook over on its way out; the
   * runs it left queued run on the next owner, on a fresh kernel. Removed once they are queued there.
   */
  handedOver?: boolean;
}

/**
 * A notebook's own dependencies, in its metadata at `metadata.tandem.environment`. Editors
 * write it; the server validates it when a kernel starts and reports problems in the `kernel`
 * map (`environmentError`, or status 'dead' with a message).
 */
export interface EnvironmentSpec {
  /**
   * Lines of a pip requirements file: PEP 508 requirements ("pandas>=2,<3"), and optionally
   * --index-url, --extra-index-url, --find-links (a relative directory is the notebook's) and --no-index.
   */
  requirements: string[];
  /** Interpreter versions accepted: "3.11" or PEP 440 specifiers such as ">=3.10,<3.13". */
  python?: string;
  /** The installed kernelspec whose Python the environment builds on; default: the notebook's kernel. */
  kernel?: string;
}
/** Where the specification sits in notebook metadata: metadata[key].environment. */
export const ENVIRONMENT_METADATA_KEY = 'tandem';

export type ExecutionStatus = 'queued' | 'running' | 'ok' | 'error' | 'cancelled' | 'interrupted' | 'failed';

export interface UserRef {
  username: string;
  name: string;
  color: string;
}

/** One requested run. Records of finished runs are pruned beyond the newest few hundred. */
export interface ExecutionRecord {
  id: string;
  cellId: string;
  /** Monotonic order of requests within the notebook: the queue is sorted by it. */
  seq: number;
  requestedBy: UserRef;
  queuedAt: number;
  startedAt?: number;
  finishedAt?: number;
  status: ExecutionStatus;
  /** The source as it stood when the run was requested: that is what runs. */
  source: string;
  executionCount?: number | null;
  /** For failed, cancelled and interrupted runs: what happened, for people. */
  message?: string;
  /** Set while the kernel waits on input() for this run; only requestedBy may answer. */
  input?: { prompt: string; password: boolean };
  /** Where the run was asked for, when not through Tandem itself: 'jupyter' for the Jupyter kernel API. */
  via?: 'jupyter';
  /**
   * The execute_request's msg_id, once the run started: a server restarted beside a kernel that
   * outlived it (a pod) reattaches and follows the run by it.
   */
  kernelMsgId?: string;
}

/** Output MIME type that marks where an oversized output was cut. */
export const TRUNCATED_MIME = 'application/vnd.tandem.truncated+json';
export interface TruncatedMarker {
  omittedBytes: number;
  totalBytes: number;
  /** Server path that returns the whole output, for roles that can read the notebook. */
  url: string;
}

/** What a SQL cell's query is doing, as the `queries` map shows it. */
export type QueryPhase = 'queued' | 'connecting' | 'running' | 'fetching' | 'storing' | 'loading' | 'done' | 'error' | 'cancelled';

/** A snapshot as the `queries` map refers to it. */
export interface QuerySnapshotRef {
  id: string;
  /** Epoch ms when its data was fetched (the query finished): the data's age. */
  createdAt: number;
  rows: number;
  /** It is the snapshot pinned in the cell's metadata (`metadata.tandem.snapshot`). */
  pinned: boolean;
}

/**
 * Value of the `queries` map for one SQL cell (keyed by cell id): its latest run, replaced whole
 * at most about four times a second while the query runs.
 */
export interface QueryState {
  runId: string;
  connection: string;
  /** The Python name the result is bound to. */
  name: string;
  /** The notebook's mode when the run was queued (`metadata.tandem.queries`). */
  mode: 'reproducible' | 'live';
  /** Which data this run uses: the cell's pinned snapshot, or a fresh query. */
  choice: 'pinned' | 'query';
  /** Why, for people: "Reproducible: using the pinned snapshot", "--live: querying again and re-pinning". */
  reason: string;
  phase: QueryPhase;
  requestedBy: UserRef;
  /** Epoch ms. */
  startedAt: number;
  elapsedMs: number;
  finishedAt?: number;
  /** Rows and bytes fetched so far. */
  rows: number;
  bytes: number;
  /** The snapshot the cell now uses: the new one once stored, or the pinned one. */
  snapshot?: QuerySnapshotRef;
  /** For errors and notes: what happened, for people. */
  message?: string;
}

export type JobStatus = 'queued' | 'running' | 'ok' | 'failed' | 'cancelled';
export type JobMode = 'reproducible' | 'live';

/** Value of the `jobs` map: a headless run of the notebook as everyone on it sees it, replaced whole. */
export interface JobProgress {
  id: string;
  mode: JobMode;
  status: JobStatus;
  startedBy: UserRef;
  /** Epoch ms. */
  queuedAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** The cell being run now, and where it is in the notebook's code cells (1-based). */
  cellId?: string;
  cellIndex?: number;
  cellCount?: number;
  /** While a SQL cell's query runs: its phase and rows so far. */
  query?: { phase: QueryPhase; rows: number };
  /** For failed and cancelled jobs: what happened, for people. */
  message?: string;
}

/** Display MIME type of a SQL cell's result preview, beside text/html and text/plain. */
export const QUERY_RESULT_MIME = 'application/vnd.tandem.query-result+json';

/** Progress bar MIME type emitted by the helper package in the kernel. */
export const PROGRESS_MIME = 'application/vnd.tandem.progress+json';

/**
 * Awareness: each client publishes `user` (rewritten by the server to the authenticated
 * identity plus role) and `presence`. The server publishes its own state under `room`.
 */
export interface AwarenessUser {
  username: string;
  name: string;
  display_name: string;
  initials: string;
  color: string;
  role: Role;
}
export interface RoomAwareness {
  /** Number of read-only viewers connected; their own awareness is not fanned out. */
  viewers: number;
}

/** `reader` sees one published report of a notebook, and nothing of the notebook itself. */
export const ROLES = ['reader', 'viewer', 'runner', 'editor', 'owner'] as const;
export type Role = (typeof ROLES)[number];

export function roleAtLeast(role: Role | undefined, needed: Role): boolean {
  if (!role) return false;
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}
