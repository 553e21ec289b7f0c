// The README's first run: a new root gets the Welcome notebook, whose SQL cell runs on the
// embedded demo database with no setup at all.

import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { QueryState } from '../../common/doc-schema';
import { connectNotebook, type NotebookClient } from '../helpers/clients';
import { execute, outputsOf, waitForRun } from '../helpers/execution';
import { removeRoot, startTandem, type TandemProcess, tempRoot } from '../helpers/tandem';

let server: TandemProcess;
let parent: string;
let client: NotebookClient;

beforeAll(async () => {
  parent = tempRoot();
  server = await startTandem({ root: join(parent, 'fresh') });
  client = await connectNotebook(server, 'Welcome.ipynb');
});

afterAll(async () => {
  client?.destroy();
  await server?.stop();
  if (parent) removeRoot(parent);
});

test("the Welcome notebook's SQL cell runs on the demo database on a fresh machine", async () => {
  const phases = new Set<string>();
  const queries = client.doc.getMap<QueryState>('queries');
  queries.observe(() => phases.add(queries.get('sql-demo')?.phase ?? ''));
  // The first start of the demo database builds it, which takes a while on a busy machine.
  const [sql, use] = await execute(server, client.fileId, ['sql-demo', 'sql-use']);
  expect((await waitForRun(client, sql.id, undefined, 240_000)).status).toBe('ok');
  expect((await waitForRun(client, use.id)).status).toBe('ok');
  // Phases are written at most four times a second, so quick ones may be skipped.
  expect([...phases]).toEqual(expect.arrayContaining(['queued', 'done']));
  expect([...phases].some((phase) => ['connecting', 'running', 'fetching', 'storing', 'loading'].includes(phase))).toBe(true);
  expect(queries.get('sql-demo')).toMatchObject({ connection: 'demo', name: 'revenue', phase: 'done', rows: 96, snapshot: { rows: 96, pinned: true } });
  const preview = outputsOf(client, 'sql-demo')[0].data as Record<string, string>;
  expect(preview['text/plain']).toMatch(/^revenue: 96 rows × 4 columns from demo · pinned snapshot/);
  const pivot = outputsOf(client, 'sql-use')[0] as { output_type: string; data: Record<string, string> };
  expect(pivot.output_type).toBe('execute_result');
  expect(pivot.data['text/plain']).toContain('Electronics');
}, 300_000);
