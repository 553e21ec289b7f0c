// Share links: one notebook at one role, opened straight into the notebook.

import type { Share, ShareInfo } from '@common/api';
import type { Role } from '@common/doc-schema';
import { request } from './http';

export type { Share, ShareInfo } from '@common/api';

export function createShare(path: string, role: Role): Promise<Share> {
  return request<Share>('POST', '/api/shares', { body: { path, role } });
}

export function listShares(path: string): Promise<ShareInfo[]> {
  return request<ShareInfo[]>('GET', `/api/shares?path=${encodeURIComponent(path)}`);
}

export function revokeShare(id: string): Promise<void> {
  return request<void>('DELETE', `/api/shares/${encodeURIComponent(id)}`);
}
