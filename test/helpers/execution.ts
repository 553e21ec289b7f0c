// Running cells the way a client does: through the execution API, then watching the shared
// document for the results.

import { expect } from 'vitest';
import * as Y from 'yjs';
import type { ExecutionRecord } from '../../common/doc-schema';
import { eventually, type NotebookClient } from './clients';
import type { TandemProcess } from './tandem';

export async function execute(server: TandemProcess, fileId: string, cellIds: string[], token: string | null = server.token): Promise<ExecutionRecord[]> {
  const response = await server.api('POST', `/api/notebooks/${fileId}/execute`, { cellIds }, token);
  expect(response.status).toBe(202);
  return (await response.json()).runs as ExecutionRecord[];
}

export function recordOf(client: NotebookClient, runId: string): ExecutionRecord | undefined {
  return client.doc.getMap<ExecutionRecord>('executions').get(runId);
}

/**
 * Waits until the run is finished (or in one of `statuses`) as this client sees it. Generous:
 * a kernel starting while other suites build environments or run clusters on the same two
 * cores can take tens of seconds.
 */
export async function waitForRun(
  client: NotebookClient,
  runId: string,
  statuses: ExecutionRecord['status'][] = ['ok', 'error', 'cancelled', 'interrupted', 'failed'],
  timeoutMs = 60_000,
): Promise<ExecutionRecord> {
  return eventually(() => {
    const record = recordOf(client, runId);
    expect(statuses).toContain(record?.status);
    return record!;
  }, timeoutMs);
}

function cellMap(client: NotebookClient, cellId: string): Y.Map<unknown> {
  const cell = client.doc
    .getArray('cells')
    .toArray()
    .find((c) => c instanceof Y.Map && c.get('id') === cellId);
  if (!(cell instanceof Y.Map)) throw new Error(`no cell ${cellId}`);
  return cell;
}

export function outputsOf(client: NotebookClient, cellId: string): Record<string, unknown>[] {
  const outputs = cellMap(client, cellId).get('outputs') as Y.Array<Y.Map<unknown>>;
  return outputs.toArray().map((o) => o.toJSON());
}

export function executionCountOf(client: NotebookClient, cellId: string): number | null {
  return cellMap(client, cellId).get('execution_count') as number | null;
}

export function kernelStatus(client: NotebookClient): string | undefined {
  return client.doc.getMap('kernel').get('status') as string | undefined;
}
