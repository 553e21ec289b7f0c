// Long queries as every viewer sees them: progress a few times a second, cancel that reaches the
// database (python-bigquery#389, lightdash#1406: users want both for warehouse queries), and a
// large result streamed into a snapshot without the server holding it in memory.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { QueryState } from '../../common/doc-schema';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { execute, outputsOf, recordOf, waitForRun } from '../helpers/execution';
import { makeNotebook } from '../helpers/notebooks';
import { type PostgresServer, startPostgres } from '../helpers/postgres';
import type { TandemProcess } from '../helpers/tandem';
import { pinOf, printedJSON, queryState, removeDir, setSource, startTandemWithWarehouse } from './support';

let pg: PostgresServer;
let server: TandemProcess;
let configDir: string;
let editor: NotebookClient;
let viewer: NotebookClient;
let fileId: string;
let runnerToken: string;

const cells = [
  { id: 'slow', source: '%%sql warehouse --as slow\nSELECT 1 AS x' },
  { id: 'show-slow', source: "import json\nprint(json.dumps(slow['x'].tolist()))" },
  // Its own cell, so the interrupt test does not need the first test to have made 'slow' slow.
  { id: 'sleepy', source: '%%sql warehouse --as sleepy\nSELECT 3 AS x, pg_sleep(5) AS waited' },
  { id: 'million', source: '%%sql warehouse --as big\nSELECT g AS id, md5(g::text) AS label, g * 0.5 AS value FROM generate_series(1, 1000000) AS g' },
  { id: 'show-million', source: "import json\nprint(json.dumps([len(big), int(big['id'].sum()), big['label'].iloc[-1], str(big['value'].dtype)]))" },
];

/** Peak resident memory of a process so far, in bytes (Linux). */
function peakRss(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match![1]) * 1024;
}

beforeAll(async () => {
  pg = await startPostgres();
  ({ server, configDir } = await startTandemWithWarehouse(pg));
  await server.api('PUT', '/api/contents/long.ipynb', { type: 'notebook', format: 'json', content: makeNotebook(cells) });
  const share = async (role: string) => (await (await server.api('POST', '/api/shares', { path: 'long.ipynb', role })).json()).token as string;
  runnerToken = await share('runner');
  viewer = await connectNotebook(server, 'long.ipynb', { token: await share('viewer') });
  editor = await connectNotebook(server, 'long.ipynb');
  fileId = viewer.fileId;
});

afterAll(async () => {
  editor?.destroy();
  viewer?.destroy();
  await server?.stop();
  await pg?.stop();
  if (configDir) removeDir(configDir);
  if (server) removeDir(server.root);
});

test('a pg_sleep(5) query shows progress to a viewer, and cancel stops it at the database within 1 s, keeping the pinned result', async () => {
  const [first] = await execute(server, fileId, ['slow'], runnerToken);
  expect((await waitForRun(viewer, first.id)).status).toBe('ok');
  const pinned = pinOf(viewer, 'slow');
  expect(pinned).toBeTruthy();

  const source = '%%sql warehouse --as slow\nSELECT 2 AS x, pg_sleep(5) AS waited';
  setSource(editor, 'slow', source);
  await eventually(() => expect(viewer.notebook.cells.find((c) => c.getId() === 'slow')?.getSource()).toBe(source));

  const seen: QueryState[] = [];
  const queries = viewer.doc.getMap<QueryState>('queries');
  const observe = () => {
    const state = queries.get('slow');
    if (state) seen.push(state);
  };
  queries.observe(observe);
  const [run] = await execute(server, fileId, ['slow'], runnerToken);
  // The kernel may already be waiting on the query: cancel must still reach the database.
  await waitForRun(viewer, run.id, ['running']);
  await eventually(() => {
    const running = seen.filter((s) => s.runId === run.id && s.phase === 'running');
    expect(running.length).toBeGreaterThanOrEqual(3);
    return running;
  }, 4_000);
  const running = seen.filter((s) => s.runId === run.id && s.phase === 'running');
  for (let i = 1; i < running.length; i++) expect(running[i].elapsedMs).toBeGreaterThan(running[i - 1].elapsedMs);
  expect((await pg.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep(5)%' AND pid <> pg_backend_pid()")).rows[0].n).toBe(1);

  const started = Date.now();
  const response = await server.api('POST', `/api/notebooks/${fileId}/executions/${run.id}/cancel`, undefined, runnerToken);
  expect(response.status).toBe(200);
  const record = await waitForRun(viewer, run.id, ['ok', 'error', 'cancelled', 'interrupted', 'failed'], 5_000);
  await eventually(() => expect(queryState(viewer, 'slow')?.phase).toBe('cancelled'), 1_000);
  expect(Date.now() - started).toBeLessThan(1_000);
  queries.unobserve(observe);
  expect(record.status).toBe('cancelled');
  expect(record.message).toBe('Cancelled: the query was stopped at the database');

  const active = await pg.query(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep%' AND state = 'active' AND pid <> pg_backend_pid()",
  );
  expect(active.rows[0].n).toBe(0);
  // The cell keeps its pinned snapshot, says so, and the kernel keeps the old data.
  expect(pinOf(viewer, 'slow')).toBe(pinned);
  expect(queryState(viewer, 'slow')).toMatchObject({ phase: 'cancelled', snapshot: { id: pinned, pinned: true } });
  expect(outputsOf(viewer, 'slow')).toEqual([
    {
      output_type: 'stream',
      name: 'stdout',
      text: `Cancelled: the query was stopped at the database. The cell keeps its pinned snapshot ${pinned!.slice(0, 12)}.\n`,
    },
  ]);
  const [show] = await execute(server, fileId, ['show-slow'], runnerToken);
  await waitForRun(viewer, show.id);
  expect(await printedJSON(viewer, 'show-slow')).toEqual([1]);
  const list = await (await server.api('GET', `/api/snapshots?notebook=${fileId}&cell=slow`)).json();
  expect(list.snapshots).toHaveLength(1);
});

test('interrupting the kernel while its SQL cell waits on the query cancels the query too', async () => {
  const [run] = await execute(server, fileId, ['sleepy'], runnerToken);
  await waitForRun(viewer, run.id, ['running']);
  await eventually(() => expect(queryState(viewer, 'sleepy')).toMatchObject({ runId: run.id, phase: 'running' }), 5_000);
  expect((await server.api('POST', `/api/notebooks/${fileId}/interrupt`, undefined, runnerToken)).status).toBe(200);
  expect((await waitForRun(viewer, run.id)).status).toBe('interrupted');
  await eventually(() => expect(queryState(viewer, 'sleepy')?.phase).toBe('cancelled'), 2_000);
  await eventually(async () => {
    const active = await pg.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep%' AND state = 'active' AND pid <> pg_backend_pid()",
    );
    expect(active.rows[0].n).toBe(0);
  }, 2_000);
});

test('a 1,000,000-row result streams into a snapshot in bounded server memory', async () => {
  const pid = server.process.pid!;
  const before = peakRss(pid);
  const [run] = await execute(server, fileId, ['million'], runnerToken);
  const rowsSeen: number[] = [];
  const queries = viewer.doc.getMap<QueryState>('queries');
  const observe = () => {
    const state = queries.get('million');
    if (state?.runId === run.id && state.phase === 'fetching') rowsSeen.push(state.rows);
  };
  queries.observe(observe);
  expect((await waitForRun(viewer, run.id, undefined, 120_000)).status).toBe('ok');
  queries.unobserve(observe);
  const after = peakRss(pid);
  const state = queryState(viewer, 'million')!;
  expect(state).toMatchObject({ phase: 'done', rows: 1_000_000 });
  // Rows were counted as they came, not only at the end.
  expect(rowsSeen.some((rows) => rows > 0 && rows < 1_000_000)).toBe(true);
  const meta = await (await server.api('GET', `/api/snapshots/${state.snapshot!.id}`)).json();
  expect(meta.rows).toBe(1_000_000);
  expect(meta.bytes).toBeGreaterThan(40_000_000);
  // The result is ~45 MB as Arrow, and far more as JS rows: the server holds one batch at a time.
  const grew = after - before;
  console.log(
    `million-row query: server peak RSS ${(before / 2 ** 20).toFixed(0)} MB before, ${(after / 2 ** 20).toFixed(0)} MB after (+${(grew / 2 ** 20).toFixed(0)} MB); snapshot ${(meta.bytes / 2 ** 20).toFixed(1)} MB`,
  );
  expect(grew).toBeLessThan(100 * 2 ** 20);

  const [show] = await execute(server, fileId, ['show-million'], runnerToken);
  await waitForRun(viewer, show.id, undefined, 60_000);
  expect(await printedJSON(viewer, 'show-million')).toEqual([1_000_000, 500000500000, '8155bc545f84d9652f1012ef2bdfb6eb', 'float64']);
  expect(recordOf(viewer, run.id)?.status).toBe('ok');
});
