// Share links: one notebook at one role, opened straight into the notebook.
import type { Role } from '@common/doc-schema';
import { request } from './http';

export interface ShareInfo {
  id: string;
  fileId: string;
  path: string | null;
  role: Role;
  createdAt: number | string;
}

/** Only the reply to creating a link carries its token and URL. */
export interface Share extends ShareInfo {
  token: string;
  url: string;
}

export function createShare(path: string, role: Role): Promise<Share> {
  return request<Share>('POST', '/api/shares', { body: { path, role } });
}

export function listShares(path: string): Promise<ShareInfo[]> {
  return request<ShareInfo[]>('GET', `/api/shares?path=${encodeURIComponent(path)}`);
}

export function revokeShare(id: string): Promise<void> {
  return request<void>('DELETE', `/api/shares/${encodeURIComponent(id)}`);
}
