// A notebook's version history: list, preview, save one, restore one (whole or some cells).
import type { VersionContent, VersionCreated, VersionInfo, VersionRestored } from '@common/api';
import { request } from './http';

export type { VersionInfo } from '@common/api';

const base = (fileId: string) => `/api/notebooks/${encodeURIComponent(fileId)}/versions`;

export function fetchVersions(fileId: string, signal?: AbortSignal): Promise<VersionInfo[]> {
  return request<VersionInfo[]>('GET', base(fileId), { signal });
}

export function fetchVersion(fileId: string, id: string, signal?: AbortSignal): Promise<VersionContent> {
  return request<VersionContent>('GET', `${base(fileId)}/${encodeURIComponent(id)}`, { signal });
}

export function saveVersion(fileId: string, label: string | null): Promise<VersionCreated> {
  return request<VersionCreated>('POST', base(fileId), { body: { label } });
}

export function restoreVersion(fileId: string, id: string, cellIds?: string[]): Promise<VersionRestored> {
  return request<VersionRestored>('POST', `${base(fileId)}/${encodeURIComponent(id)}/restore`, { body: cellIds ? { cellIds } : {} });
}
