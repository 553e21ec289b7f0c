// A notebook's schedule: read it with its next run times, set or remove it, and make a reader
// link to the report each good scheduled run refreshes.
import type { Published, ScheduleInfo, ScheduleSpec } from '@common/api';
import { ApiError, request } from './http';

export type { ScheduleInfo, ScheduleSpec } from '@common/api';

const base = (fileId: string) => `/api/notebooks/${encodeURIComponent(fileId)}/schedule`;

/** The schedule, or null when the notebook has none (the server answers 404 then). */
export async function fetchSchedule(fileId: string, signal?: AbortSignal): Promise<ScheduleInfo | null> {
  try {
    return await request<ScheduleInfo>('GET', base(fileId), { signal });
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

export function saveSchedule(fileId: string, spec: ScheduleSpec): Promise<ScheduleInfo> {
  return request<ScheduleInfo>('PUT', base(fileId), { body: spec });
}

export function clearSchedule(fileId: string): Promise<void> {
  return request<void>('DELETE', base(fileId));
}

export function publishSchedule(fileId: string): Promise<Published> {
  return request<Published>('POST', `${base(fileId)}/publish`);
}
