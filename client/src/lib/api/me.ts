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
  /** The caller's role; a share session's is the share's. */
  role?: Role;
  share?: { path: string; fileId: string; role: Role } | null;
}

export function fetchMe(): Promise<Me> {
  return request<Me>('GET', '/api/me');
}

export function roleOf(me: Me): Role {
  return me.share?.role ?? me.role ?? 'owner';
}

/** Chooses the name collaborators see for this browser session. */
export function setMyName(name: string): Promise<Me> {
  return request<Me>('PATCH', '/api/me', { body: { name } });
}
