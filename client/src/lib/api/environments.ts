// What a notebook's environment specification resolves to, as the server sees it now: its own
// environment (with whether it is built, and what it holds), a kernelspec used as installed, or
// why the specification cannot be used. The specification itself is edited in the document.
import type { EnvironmentResolution } from '@common/api';
import { request } from './http';

export type { EnvironmentResolution } from '@common/api';

export function fetchEnvironment(fileId: string, signal?: AbortSignal): Promise<EnvironmentResolution> {
  return request<EnvironmentResolution>('GET', `/api/notebooks/${encodeURIComponent(fileId)}/environment`, { signal });
}
