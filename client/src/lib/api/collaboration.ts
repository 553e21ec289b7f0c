// Opening a notebook's collaboration session (jupyter-collaboration's contract).
import type { CollabSession } from '@common/api';
import { encodePath, request } from './http';

export type { CollabSession } from '@common/api';

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
