// SQL cells in jobs against a real Postgres: a reproducible job loads each cell's pinned
// snapshot, so a table changed since gives the same outputs; a live job queries again and sees
// the change. Neither job pins anything or writes to the notebook's `queries` map.

import { afterAll, beforeAll, expect, test } from 'vitest';
import type { QueryState } from '../../common/doc-schema';
import { connectNotebook, type NotebookClient } from '../helpers/clients';
import { execute, waitForRun } from '../helpers/execution';
import { makeNotebook } from '../helpers/notebooks';
import { type PostgresServer, startPostgres } from '../helpers/postgres';
import type { TandemProcess } from '../helpers/tandem';
import { pinOf, removeDir, startTandemWithWarehouse } from '../queries/support';
import { executedCells, printed, startJob, waitForJob } from './support';

let pg: PostgresServer;
let server: TandemProcess;
let configDir: string;
let editor: NotebookClient;

beforeAll(async () => {
  pg = await startPostgres();
  await pg.query('CREATE TABLE sales (id integer, amount integer); INSERT INTO sales VALUES (1, 100), (2, 200)');
  ({ server, configDir } = await startTandemWithWarehouse(pg));
  const notebook = makeNotebook([
    { id: 'sales', source: '%%sql warehouse --as sales\nSELECT id, amount FROM sales ORDER BY id' },
    { id: 'total', source: "print(int(sales['amount'].sum()))" },
  ]);
  await server.api('PUT', '/api/contents/sales.ipynb', { type: 'notebook', format: 'json', content: notebook });
  editor = await connectNotebook(server, 'sales.ipynb');
});

afterAll(async () => {
  editor?.destroy();
  await server?.stop();
  await pg?.stop();
  if (configDir) removeDir(configDir);
  if (server) removeDir(server.root);
});

test('after the table changes, a reproducible job gives the same outputs from the pinned snapshot and a live job sees the change', async () => {
  // Run interactively once: the notebook is reproducible, so the result is pinned.
  const [first] = await execute(server, editor.fileId, ['sales']);
  expect((await waitForRun(editor, first!.id)).status).toBe('ok');
  const pin = pinOf(editor, 'sales');
  expect(pin).toEqual(expect.any(String));
  const interactiveQuery = editor.doc.getMap<QueryState>('queries').get('sales')!.runId;

  const before = await waitForJob(server, await startJob(server, editor.fileId, { mode: 'reproducible' }));
  expect(before.status).toBe('ok');
  expect(printed(before, 'total')).toBe('300\n');
  expect(before.snapshots).toEqual([{ cellId: 'sales', snapshotId: pin, fetchedAt: expect.any(Number), pinned: true }]);

  await pg.query('UPDATE sales SET amount = 999 WHERE id = 2');

  const reproducible = await waitForJob(server, await startJob(server, editor.fileId, { mode: 'reproducible' }));
  expect(reproducible.status).toBe('ok');
  // The same data and the same results. (The preview's text also says how long ago the data
  // was fetched, which changes with time; its structured form does not.)
  const results = (record: typeof before) =>
    executedCells(record).find((c) => c.id === 'sales')!.outputs![0]!.data!['application/vnd.tandem.query-result+json'];
  expect(results(reproducible)).toEqual(results(before));
  expect(printed(reproducible, 'total')).toBe('300\n');
  expect(reproducible.snapshots.map((s) => s.snapshotId)).toEqual([pin]);

  const live = await waitForJob(server, await startJob(server, editor.fileId, { mode: 'live' }));
  expect(live.status).toBe('ok');
  expect(printed(live, 'total')).toBe('1099\n');
  expect(live.snapshots).toHaveLength(1);
  expect(live.snapshots[0]).toMatchObject({ cellId: 'sales', pinned: false });
  expect(live.snapshots[0]!.snapshotId).not.toBe(pin);

  // Reproduce re-runs each record on the data it used: all identical after the table changed.
  for (const record of [before, live]) {
    const response = await server.api('POST', `/api/jobs/${record.id}/reproduce`);
    expect(response.status).toBe(201);
    const again = await waitForJob(server, (await response.json()).id);
    expect(again.status).toBe('ok');
    expect(again.snapshots.map((s) => s.snapshotId)).toEqual(record.snapshots.map((s) => s.snapshotId));
    expect(again.diff).toEqual([
      { cellId: 'sales', status: 'identical' },
      { cellId: 'total', status: 'identical' },
    ]);
  }

  // The jobs left the notebook's choices alone: the same pin, the interactive run's query state.
  expect(pinOf(editor, 'sales')).toBe(pin);
  expect(editor.doc.getMap<QueryState>('queries').get('sales')!.runId).toBe(interactiveQuery);
});
