// Opening a notebook's collaboration session (jupyter-collaboration's contract).
import { encodePath, request } from './http';

export interface CollabSession {
  format: 'json';
  type: 'notebook';
  fileId: string;
  sessionId: string;
}

export function openSession(path: string): Promise<CollabSession> {
  return request<CollabSession>('PUT', `/api/collaboration/session/${encodePath(path)}`, {
    body: { format: 'json', type: 'notebook' },
  });
}

/** ws: or wss: URL of the room endpoint, on the page's own host. */
export function roomBaseUrl(): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/api/collaboration/room`;
}
