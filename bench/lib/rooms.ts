// Opening a notebook room on each kind of server, the way its own clients would, and handing
// back the addresses load clients connect to. Tandem and Jupyter Server load the notebook from
// a file (imported over HTTP); the in-memory peers and the floor get it pushed by a keeper
// client, which stays connected so the server keeps the room.
import * as Y from 'yjs';
import type { ServerInfo } from '../servers/types.js';
import { type Dialect, hocuspocusDialect, plainDialect } from './dialect.js';
import { syncUpdate } from './frames.js';
import { LoadClient } from './load-client.js';
import { type NotebookJson, notebookDoc } from './notebooks.js';

export type Role = 'editor' | 'viewer';

/** Where y-websocket's WebsocketProvider connects: `${serverUrl}/${roomName}?${params}`. */
export interface ProviderTarget {
  serverUrl: string;
  roomName: string;
  params: Record<string, string>;
}

export interface Room {
  name: string;
  /** Notebook path on servers with files. */
  path?: string;
  fileId?: string;
  sessionId?: string;
  dialect: Dialect;
  provider(role: Role, replica?: number): ProviderTarget;
  /**
   * Where a client connects. On a cluster, `replica` picks one (modulo the count; the first,
   * where the room was opened and which owns it, by default); other servers ignore it.
   */
  url(role: Role, replica?: number): string;
  /** Holds the room open (and, on the floor, serves its state to newcomers). */
  keeper: LoadClient;
  /** Size of the notebook's Yjs state, as the keeper received or sent it. */
  stateBytes: number;
  close(): Promise<void>;
}

export function baseUrl(s: ServerInfo): string {
  return `http://${s.host}:${s.port}`;
}

/** An HTTP call with the owner token; throws with the server's answer on a non-2xx status. */
export async function api<T>(s: ServerInfo, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${baseUrl(s)}${path}`, {
    method,
    // No content type without a body: Fastify refuses an empty body that claims to be JSON.
    headers: { authorization: `token ${s.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export function urlOf(t: ProviderTarget): string {
  const q = new URLSearchParams(t.params).toString();
  return `${t.serverUrl}/${t.roomName}${q ? `?${q}` : ''}`;
}

const encodePath = (p: string): string => p.split('/').map(encodeURIComponent).join('/');

/** Imports a notebook file and opens a collaboration session on it (Tandem, Jupyter Server). */
export async function importNotebook(s: ServerInfo, path: string, nb: NotebookJson): Promise<{ fileId: string; sessionId: string }> {
  await api(s, 'PUT', `/api/contents/${encodePath(path)}`, { type: 'notebook', format: 'json', content: nb });
  const session = await api<{ fileId: string; sessionId: string }>(s, 'PUT', `/api/collaboration/session/${encodePath(path)}`, {
    format: 'json',
    type: 'notebook',
  });
  return session;
}

export async function shareToken(s: ServerInfo, path: string, role: 'viewer' | 'runner' | 'editor'): Promise<string> {
  const share = await api<{ token: string }>(s, 'POST', '/api/shares', { path, role });
  return share.token;
}

export async function openRoom(s: ServerInfo, name: string, nb: NotebookJson): Promise<Room> {
  const ws = `ws://${s.host}:${s.port}`;
  if (s.flavor === 'tandem' || s.flavor === 'tandem-cluster' || s.flavor === 'jupyter') {
    const path = `${name}.ipynb`;
    const { fileId, sessionId } = await importNotebook(s, path, nb);
    // Jupyter Server has no read-only role: its observers simply never write.
    const viewerToken = s.flavor === 'jupyter' ? s.token : await shareToken(s, path, 'viewer');
    // A cluster's replicas share file ids, sessions and share links: only the address differs.
    const replicas = s.replicas ?? [s];
    const provider = (role: Role, replica = 0): ProviderTarget => ({
      serverUrl: `ws://${replicas[replica % replicas.length].host}:${replicas[replica % replicas.length].port}/api/collaboration/room`,
      roomName: `json:notebook:${fileId}`,
      params: { sessionId, token: role === 'viewer' ? viewerToken : s.token },
    });
    const keeper = new LoadClient({ url: urlOf(provider('editor')), dialect: plainDialect });
    await keeper.connect();
    const stateBytes = await keeper.sync();
    if (stateBytes < 0) throw new Error(`room ${name} closed during its first sync (${keeper.closeCode} ${keeper.closeReason})`);
    return {
      name,
      path,
      fileId,
      sessionId,
      dialect: plainDialect,
      provider,
      url: (role, replica) => urlOf(provider(role, replica)),
      keeper,
      stateBytes,
      close: () => keeper.close(),
    };
  }
  // In-memory servers and the floor: push the notebook from a client, as a Jupyter client
  // opening a file on such a server would.
  const doc = notebookDoc(nb);
  const state = Y.encodeStateAsUpdate(doc);
  const dialect = s.flavor === 'hocuspocus' ? hocuspocusDialect(name) : plainDialect;
  const provider = (): ProviderTarget =>
    s.flavor === 'hocuspocus' ? { serverUrl: ws, roomName: '', params: {} } : { serverUrl: ws, roomName: name, params: {} };
  const url = s.flavor === 'hocuspocus' ? ws : `${ws}/${name}`;
  const keeper = new LoadClient({ url, dialect, doc, host: s.flavor === 'floor' });
  await keeper.connect();
  if (s.flavor !== 'floor') {
    keeper.sendFrame(syncUpdate(state));
    // Servers answer a connection's frames in order: once our sync step 1 is answered, the
    // pushed state has been applied.
    if ((await keeper.sync()) < 0) throw new Error(`room ${name} closed during its first sync`);
  }
  return {
    name,
    dialect,
    provider,
    url: () => url,
    keeper,
    stateBytes: state.length,
    close: async () => {
      await keeper.close();
      keeper.destroy();
      doc.destroy();
    },
  };
}
