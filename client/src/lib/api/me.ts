// Who the signed-in browser is, and which notebook a share-link session is limited to.
import type { Me, Renamed } from '@common/api';
import type { Role } from '@common/doc-schema';
import { request } from './http';

export type { Identity, Me } from '@common/api';

export function fetchMe(): Promise<Me> {
  return request<Me>('GET', '/api/me');
}

export function roleOf(me: Me): Role {
  return me.share?.role ?? me.role;
}

/** Chooses the name collaborators see for this browser session. */
export function setMyName(name: string): Promise<Renamed> {
  return request<Renamed>('PATCH', '/api/me', { body: { name } });
}
