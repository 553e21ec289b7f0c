// Shared steps for job tests: start a job over HTTP, wait for its record, and read what its
// executed notebook's cells printed.

import { expect } from 'vitest';
import type { JobRecord } from '../../common/api';
import { eventually } from '../helpers/clients';
import type { TandemProcess } from '../helpers/tandem';

export async function startJob(server: TandemProcess, fileId: string, body: unknown, token: string | null = server.token): Promise<string> {
  const response = await server.api('POST', `/api/notebooks/${fileId}/jobs`, body, token);
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()).id as string;
}

/** Waits until the job has ended, and gives its record. */
export function waitForJob(server: TandemProcess, id: string, timeoutMs = 60_000): Promise<JobRecord> {
  return eventually(
    async () => {
      const record = (await (await server.api('GET', `/api/jobs/${id}`)).json()) as JobRecord;
      expect(['ok', 'failed', 'cancelled']).toContain(record.status);
      return record;
    },
    timeoutMs,
    100,
  );
}

interface ExecutedCell {
  id: string;
  cell_type: string;
  source: string | string[];
  metadata: { tags?: string[] };
  outputs?: { output_type: string; name?: string; text?: string | string[]; data?: Record<string, unknown> }[];
  execution_count?: number | null;
}

export function executedCells(record: JobRecord): ExecutedCell[] {
  return (record.executed as { cells: ExecutedCell[] }).cells;
}

const joined = (text: string | string[] | undefined) => (Array.isArray(text) ? text.join('') : (text ?? ''));

/** What a cell of the executed notebook printed on stdout. */
export function printed(record: JobRecord, cellId: string): string {
  const cell = executedCells(record).find((c) => c.id === cellId);
  if (!cell) throw new Error(`no cell ${cellId} in the executed notebook`);
  return (cell.outputs ?? [])
    .filter((o) => o.output_type === 'stream' && o.name === 'stdout')
    .map((o) => joined(o.text))
    .join('');
}
