// Who the signed-in browser is, and which notebook a share-link session is limited to.
import type { Role } from '@common/doc-schema';
import { request } from './http';

export interface Identity {
  username: string;
  name: string;
  display_name: string;
  color: string | null;
  initials: string | null;
}

export interface Me {
  identity: Identity;
  permissions: Record<string, string[]> | null;
  share?: { path: string; fileId: string; role: Role };
}

export function fetchMe(): Promise<Me> {
  return request<Me>('GET', '/api/me');
}
