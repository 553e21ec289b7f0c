// The shapes of Tandem's HTTP replies, in one place: the server's routes declare them as their
// reply types (so the compiler checks what is sent), and the client imports them (so what it
// reads cannot drift from what is sent). Only types live here: nothing of it reaches a bundle.

import type { EnvironmentSpec, ExecutionRecord, Role } from './doc-schema';

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
  share: { fileId: string; role: Role; path: string | null } | null;
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

