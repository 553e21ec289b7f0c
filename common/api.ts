// The shapes of Tandem's HTTP replies, in one place: the server's routes declare them as their
// reply types (so the compiler checks what is sent), and the client imports them (so what it
// reads cannot drift from what is sent). Only types live here: nothing of it reaches a bundle.

import type { EnvironmentSpec, ExecutionRecord, JobMode, JobStatus, Role, UserRef } from './doc-schema';
import type { NotebookJSON } from './nbformat';

/** A person, in the shape of Jupyter Server's `/api/me` identity. */
export interface Identity {
  username: string;
  name: string;
  display_name: string;
  initials: string;
  color: string;
  avatar_url: string | null;
}

/** GET /api/me */
export interface Me {
  identity: Identity;
  /** Jupyter Server's permissions: resource to granted actions. */
  permissions: Record<string, string[]>;
  /** The caller's role; a share session's is the share's. */
  role: Role;
  /** Every role the caller's role includes, lowest first. */
  roles: Role[];
  /** The one notebook a share-link session reaches. */
  share: { fileId: string; role: Role; path: string | null; report: string | null } | null;
}

/** PATCH /api/me {name} */
export interface Renamed {
  identity: Identity;
}

/** PUT /api/collaboration/session/{path}: what the room socket needs. */
export interface CollabSession {
  format: 'json';
  type: 'notebook';
  fileId: string;
  sessionId: string;
}

/** POST /api/notebooks/{fileId}/execute (and a SQL cell's refresh): what was queued. */
export interface ExecuteReply {
  runs: ExecutionRecord[];
  /** Cells asked for that are not code (markdown, raw): nothing runs for them. */
  skipped: string[];
}

/** POST /api/notebooks/{fileId}/interrupt, /restart, /shutdown */
export interface KernelActionReply {
  status: string;
}

/** A share link as listed: never its token. */
export interface ShareInfo {
  id: string;
  fileId: string;
  path: string | null;
  role: Role;
  createdAt: string;
}

/** POST /api/shares: only the reply to creating a link carries its token and URL. */
export interface Share extends ShareInfo {
  token: string;
  url: string;
}

/** What an environment holds, once built. */
export interface BuiltEnvironment {
  /** ISO date. */
  builtAt: string;
  buildMs: number;
  installer: 'uv' | 'pip';
  /** The ipykernel version the kernel runs with. */
  ipykernel: string;
  /** What the environment itself holds, beyond what it sees of its base Python. */
  packages: { name: string; version: string }[];
}

/** GET /api/notebooks/{fileId}/environment */
export type EnvironmentResolution =
  | {
      specification: EnvironmentSpec | null;
      kind: 'environment';
      id: string;
      /** The kernelspec it is built like (its Python and display name). */
      kernelspec: string;
      python: { path: string; version: string };
      status: 'built' | 'building' | 'not built';
      built?: BuiltEnvironment;
    }
  | { specification: EnvironmentSpec | null; kind: 'kernelspec'; kernelspec: string }
  | { specification: unknown; error: string };

/** How a column reaches the kernel. */
export type ColumnKind = 'bool' | 'int16' | 'int32' | 'int64' | 'float32' | 'float64' | 'date32' | 'timestamp' | 'timestamptz' | 'binary' | 'utf8';

/** A column as recorded in a snapshot's schema. */
export interface SnapshotColumn {
  name: string;
  kind: ColumnKind;
  /** The Postgres type's OID and name, for people and for later readers. */
  pgTypeOid: number;
  pgType: string;
}

/** One run that fetched a snapshot's data. */
export interface SnapshotFetch {
  runId: string;
  by: UserRef;
  /** Epoch ms: when the query was sent, and when its last row was stored. */
  startedAt: number;
  finishedAt: number;
}

/**
 * One result of one cell's query (GET /api/snapshots/{id}), named by the query and its data: a
 * run that fetches the same rows again adds a fetch to it instead of making another snapshot.
 */
export interface Snapshot {
  id: string;
  /** The notebook (fileId) and cell the query ran for: the snapshot follows that notebook's roles. */
  notebook: string;
  cellId: string;
  /** The latest fetch's run (as are ranBy, startedAt and finishedAt). */
  runId: string;
  /** The connection's name and type; never its address or credentials. */
  connection: { name: string; type: string };
  /** The query as it was written in the cell. */
  sql: string;
  normalizedSql: string;
  params: unknown[];
  /** Hash of connection, normalised SQL and parameters: which query this is a result of. */
  queryHash: string;
  ranBy: UserRef;
  /** Epoch ms: when the latest fetch's query was sent, and when its last row was stored (the data's age). */
  startedAt: number;
  finishedAt: number;
  rows: number;
  bytes: number;
  columns: SnapshotColumn[];
  data: { format: 'arrow-ipc-stream'; sha256: string };
  /** Every fetch that got exactly this data, oldest first (the most recent 500). */
  fetches: SnapshotFetch[];
  /** How many fetches got this data in all. */
  fetchCount: number;
}

/** GET /api/snapshots?notebook=&cell=&limit= : newest first. */
export interface SnapshotList {
  snapshots: Snapshot[];
  total: number;
}

/** Someone who changed a notebook between two versions. */
export interface VersionAuthor {
  username: string;
  name: string;
  color: string;
}

export type VersionReason = 'auto' | 'manual' | 'before-restore' | 'before-outside-edit' | 'closed';

/** One version; GET /api/notebooks/{fileId}/versions answers an array of them, newest first. */
export interface VersionInfo {
  id: string;
  createdAt: string;
  authors: VersionAuthor[];
  label: string | null;
  /** Why it was made: after a pause, on demand, before a restore or an outside edit, on close. */
  reason: VersionReason;
}

/** POST /api/notebooks/{fileId}/versions */
export interface VersionCreated {
  id: string;
}

/** GET /api/notebooks/{fileId}/versions/{id}: the notebook (nbformat JSON) at that version. */
export interface VersionContent {
  id: string;
  content: NotebookJSON;
}

/** POST /api/notebooks/{fileId}/versions/{id}/restore */
export interface VersionRestored {
  /** The version made just before the restore: restoring it undoes the restore. */
  before: string;
}

/** A job's parameter values, as papermill takes them: JSON scalars. */
export type JobParameters = Record<string, string | number | boolean | null>;

/** One SQL cell's data in a job: the snapshot it used, and when that data was fetched. */
export interface JobSnapshot {
  cellId: string;
  snapshotId: string;
  /** Epoch ms when the data was fetched. */
  fetchedAt: number;
  /** It used the cell's pinned snapshot (reproducible) rather than a fresh query. */
  pinned: boolean;
}

/**
 * GET /api/jobs/{id}: a headless run of a notebook. Once it has ended (ok, failed, cancelled)
 * it is the immutable run record.
 */
export interface JobRecord {
  id: string;
  /** The notebook it ran (its fileId and its path then). */
  notebook: { fileId: string; path: string };
  mode: JobMode;
  status: JobStatus;
  parameters: JobParameters;
  /** The environment id the kernel ran in, or "kernelspec" for a kernelspec used as installed. */
  environment: string | null;
  /** What that environment held: its Python and its own packages (absent for a kernelspec, and in older records). */
  environmentDetail?: EnvironmentDetail | null;
  snapshots: JobSnapshot[];
  startedBy: UserRef;
  /** Epoch ms. */
  queuedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  /** The first cell that failed, and its error, for people. */
  failure: { cellId: string | null; cellIndex: number | null; ename: string; evalue: string } | null;
  /** The executed notebook (nbformat 4), once the job has ended. */
  executed: Record<string, unknown> | null;
  /** For a reproduction: the record it re-ran, on the same data, parameters and environment specification. */
  reproduces: string | null;
  /** For an ended reproduction: each code cell's outputs against the original's. */
  diff: CellDiff[] | null;
  /** For a reproduction whose kernel ran in another environment than the original's. */
  environmentChange: EnvironmentChange | null;
}

export interface EnvironmentDetail {
  python: string;
  packages: { name: string; version: string }[];
}

export interface EnvironmentChange {
  from: string | null;
  to: string | null;
  /** What differs, for people: "Python 3.11.2 → 3.11.7", "pandas 2.0.3 → 2.1.0", "requests 2.31.0 added". */
  changes: string[];
}

/**
 * One code cell of a reproduction: `identical` outputs (volatile ones ignored), `changed` with
 * the difference as a unified diff, or `failed` when the cell could not run as it did.
 */
export interface CellDiff {
  cellId: string;
  status: 'identical' | 'changed' | 'failed';
  difference?: string;
  /** For failed cells: what happened, for people. */
  message?: string;
  /** The cell is tagged volatile: its outputs are not compared, only that it ran. */
  volatile?: boolean;
}

/**
 * GET /api/notebooks/{fileId}/jobs: the notebook's runs, newest first (running ones too), as the
 * Runs panel lists them; the whole record, with its executed notebook and diff, is GET /api/jobs/{id}.
 */
export interface JobSummary {
  id: string;
  mode: JobMode;
  status: JobStatus;
  parameters: JobParameters;
  startedBy: UserRef;
  /** Epoch ms. */
  queuedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  failure: JobRecord['failure'];
  /** Epoch ms: when its data was fetched (the oldest snapshot it used); null when it used none. */
  dataFetchedAt: number | null;
  /** For a reproduction: the run it re-ran. */
  reproduces: string | null;
  /** For an ended reproduction: how its code cells compared with the original's. */
  reproduction: { identical: number; changed: number; failed: number; environmentChanged: boolean } | null;
  /** When it was published as a report (at /reports/{id}), if it was. */
  publishedAt: number | null;
}

/** POST /api/notebooks/{fileId}/jobs, POST /api/jobs/{id}/reproduce */
export interface JobStarted {
  id: string;
}

/** POST /api/jobs/{id}/publish: the report's link (token included) and its reader token. */
export interface Published {
  url: string;
  token: string;
}

/** One cell of a report: markdown as written, code cells by their outputs (their code only when the publisher allowed it). */
export interface ReportCell {
  id: string;
  cellType: 'markdown' | 'code';
  source: string | null;
  outputs: Record<string, unknown>[];
  executionCount: number | null;
  attachments?: Record<string, Record<string, string>>;
}

/** GET /api/reports/{id}: a published run, as its readers see it. */
export interface Report {
  id: string;
  /** The notebook's file name, without its folder. */
  title: string;
  mode: JobMode;
  parameters: JobParameters;
  /** Epoch ms: when the run finished, and when it was published. */
  ranAt: number;
  publishedAt: number;
  /** When the data was fetched: the oldest snapshot the run used, or the run's start when it used none. */
  dataFetchedAt: number;
  snapshots: { cellId: string; fetchedAt: number; pinned: boolean }[];
  showCode: boolean;
  cells: ReportCell[];
  /** A schedule's report whose latest run failed: it still shows the last good run, and says so. */
  lastRunFailed?: { at: number; message: string };
}

/** A notebook's schedule, as kept in `metadata.tandem.schedule` (so it travels with the file). */
export interface ScheduleSpec {
  /** Five fields (minute hour day month weekday), or six with seconds first. */
  cron: string;
  /** An IANA time zone ("Europe/Oslo"); default UTC. */
  timezone?: string;
}

/** GET/PUT /api/notebooks/{fileId}/schedule */
export interface ScheduleInfo {
  schedule: ScheduleSpec | null;
  /** The next few run times (ISO), spelled out for people. */
  nextRuns: string[];
  /** The latest scheduled run, and the latest that succeeded (the one the report shows). */
  lastRun: { jobId: string; status: JobStatus; at: number } | null;
  lastGood: string | null;
  /** The schedule's report id: its address stays the same while each good run refreshes it. */
  reportId: string;
}
