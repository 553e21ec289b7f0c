// Published reports: what a reader's page shows.
import type { Report } from '@common/api';
import { request } from './http';

export type { Report } from '@common/api';

export function fetchReport(id: string): Promise<Report> {
  return request<Report>('GET', `/api/reports/${encodeURIComponent(id)}`);
}

/** Any ended run of a notebook as a page, code included (viewers of the notebook). */
export function fetchRunView(id: string): Promise<Report> {
  return request<Report>('GET', `/api/jobs/${encodeURIComponent(id)}/view`);
}
