// Shared setup for SQL cell tests: a private Postgres, and a Tandem that knows it as the
// connection `warehouse` (password from a TANDEM_* variable, as users are told to do).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import * as Y from 'yjs';
import type { QueryState } from '../../common/doc-schema';
import type { NotebookClient } from '../helpers/clients';
import { eventually } from '../helpers/clients';
import { outputsOf } from '../helpers/execution';
import type { PostgresServer } from '../helpers/postgres';
import { startTandem, type TandemProcess } from '../helpers/tandem';

export interface QueryTestbed {
  server: TandemProcess;
  configDir: string;
}

export async function startTandemWithWarehouse(pg: PostgresServer): Promise<QueryTestbed> {
  const configDir = mkdtempSync(join(tmpdir(), 'tandem-conn-'));
  const file = join(configDir, 'connections.json');
  writeFileSync(
    file,
    JSON.stringify({
      warehouse: { type: 'postgres', host: '127.0.0.1', port: pg.port, database: pg.database, user: pg.user, passwordEnv: 'TANDEM_TEST_PG_PASSWORD' },
    }),
  );
  const server = await startTandem({ args: ['--connections', file], env: { TANDEM_TEST_PG_PASSWORD: pg.password } });
  return { server, configDir };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function queryState(client: NotebookClient, cellId: string): QueryState | undefined {
  return client.doc.getMap<QueryState>('queries').get(cellId);
}

export function cellMetadata(client: NotebookClient, cellId: string): Record<string, unknown> {
  const cell = client.doc
    .getArray('cells')
    .toArray()
    .find((c) => c instanceof Y.Map && c.get('id') === cellId) as Y.Map<unknown>;
  const metadata = cell.get('metadata');
  return metadata instanceof Y.Map ? (metadata.toJSON() as Record<string, unknown>) : {};
}

export function pinOf(client: NotebookClient, cellId: string): string | undefined {
  return (cellMetadata(client, cellId).tandem as { snapshot?: string } | undefined)?.snapshot;
}

/** The text a cell printed on stdout. */
export function stdoutOf(client: NotebookClient, cellId: string): string {
  return outputsOf(client, cellId)
    .filter((o) => o.output_type === 'stream' && o.name === 'stdout')
    .map((o) => String(o.text))
    .join('');
}

/** Parses the last JSON line a cell printed. */
export async function printedJSON<T>(client: NotebookClient, cellId: string): Promise<T> {
  return eventually(() => {
    const lines = stdoutOf(client, cellId).trim().split('\n');
    const value = JSON.parse(lines.at(-1) ?? '') as T;
    expect(value).toBeTruthy();
    return value;
  });
}

export function setSource(client: NotebookClient, cellId: string, source: string): void {
  const cell = client.notebook.cells.find((c) => c.getId() === cellId);
  if (!cell) throw new Error(`no cell ${cellId}`);
  cell.setSource(source);
}
