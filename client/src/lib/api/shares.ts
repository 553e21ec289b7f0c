// Share links: one notebook at one role, opened straight into the notebook.
import type { Role } from '@common/doc-schema';
import { request } from './http';

export interface Share {
  token: string;
  role: Role;
  path: string;
  url: string;
}

export function createShare(path: string, role: Role): Promise<Share> {
  return request<Share>('POST', '/api/shares', { body: { path, role } });
}
