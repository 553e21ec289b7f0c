// Headless runs of a notebook (jobs): start one, list the notebook's runs, read a record with
// its executed notebook and diff, reproduce, publish as a report, cancel.
import type { JobParameters, JobRecord, JobStarted, JobSummary, Published } from '@common/api';
import type { JobMode } from '@common/doc-schema';
import { request } from './http';

export type { JobRecord, JobSummary, Published } from '@common/api';

export function startJob(fileId: string, mode: JobMode, parameters: JobParameters): Promise<JobStarted> {
  return request<JobStarted>('POST', `/api/notebooks/${encodeURIComponent(fileId)}/jobs`, { body: { mode, parameters } });
}

export function listJobs(fileId: string, signal?: AbortSignal): Promise<JobSummary[]> {
  return request<JobSummary[]>('GET', `/api/notebooks/${encodeURIComponent(fileId)}/jobs`, { signal });
}

const job = (id: string) => `/api/jobs/${encodeURIComponent(id)}`;

export function fetchJob(id: string, signal?: AbortSignal): Promise<JobRecord> {
  return request<JobRecord>('GET', job(id), { signal });
}

export function reproduceJob(id: string): Promise<JobStarted> {
  return request<JobStarted>('POST', `${job(id)}/reproduce`);
}

export function publishJob(id: string): Promise<Published> {
  return request<Published>('POST', `${job(id)}/publish`, { body: {} });
}

export function cancelJob(id: string): Promise<void> {
  return request<void>('POST', `${job(id)}/cancel`);
}
