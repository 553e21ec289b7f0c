// The shared notebook document, as both the server and the browser client read it.
// Cells, sources, outputs and `meta` follow @jupyter/ydoc's YNotebook; the maps below are
// Tandem's own state, written only by the server and never saved into the .ipynb file.

/** Top-level Y.Map with the notebook's kernel status (see KernelState). */
export const KERNEL_MAP = 'kernel';
/** Top-level Y.Map of run id -> ExecutionRecord (plain JSON values, replaced whole). */
export const EXECUTIONS_MAP = 'executions';
/** Top-level Y.Map of cell id -> query state for SQL cells. */
export const QUERIES_MAP = 'queries';
/** Roots that only the server may change; edits from clients are reverted. */
export const SERVER_OWNED_ROOTS = [KERNEL_MAP, EXECUTIONS_MAP, QUERIES_MAP] as const;

/**
 * Key on a cell's Y.Map (and on `meta`) holding facts about the file that the YNotebook
 * schema has no place for: fields a newer nbformat added, a cell type this version does not
 * know, whether the cell had an id in a pre-4.5 file. Export reads it to write the file back
 * unchanged; clients ignore it.
 */
export const FILE_FACTS_KEY = 'tandem_file';

export type KernelStatus =
  | 'starting'
  | 'idle'
  | 'busy'
  | 'restarting'
  | 'dead'
  | 'provisioning'
  | 'shutdown';

/** Values of the `kernel` map. Each key is set separately. */
export interface KernelState {
  status?: KernelStatus;
  /** Why the kernel is in this state, for people: "Kernel died (exit code 1)". */
  message?: string;
  kernelspec?: { name: string; display_name: string; language?: string };
  environment?: string;
  provisioning?: { phase: string; progress?: number; line?: string };
  /** Epoch milliseconds. */
  startedAt?: number;
  lastActivity?: number;
}

export type ExecutionStatus =
  | 'queued'
  | 'running'
  | 'ok'
  | 'error'
  | 'cancelled'
  | 'interrupted'
  | 'failed';

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
}

/** Output MIME type that marks where an oversized output was cut. */
export const TRUNCATED_MIME = 'application/vnd.tandem.truncated+json';
export interface TruncatedMarker {
  omittedBytes: number;
  totalBytes: number;
  /** Server path that returns the whole output, for roles that can read the notebook. */
  url: string;
}

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

export const ROLES = ['viewer', 'runner', 'editor', 'owner'] as const;
export type Role = (typeof ROLES)[number];

export function roleAtLeast(role: Role | undefined, needed: Role): boolean {
  if (!role) return false;
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}
