// SQL cells against a real Postgres, through a real Tandem and kernel: snapshots and their
// types in the kernel, reproducible and live notebooks, pinning, errors, roles, credentials,
// and the snapshot store across a restart.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { PROGRESS_MIME, QUERY_RESULT_MIME, type ExecutionRecord } from '../../common/doc-schema';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { execute, outputsOf, waitForRun } from '../helpers/execution';
import { makeNotebook } from '../helpers/notebooks';
import { startPostgres, type PostgresServer } from '../helpers/postgres';
import type { TandemProcess } from '../helpers/tandem';
import { pinOf, printedJSON, queryState, removeDir, setSource, startTandemWithWarehouse, stdoutOf } from './support';

let pg: PostgresServer;
let server: TandemProcess;
let configDir: string;
let editor: NotebookClient;
let viewer: NotebookClient;
let fileId: string;
let viewerToken: string;
let runnerToken: string;
let otherViewerToken: string;

const TYPED_SQL = 'SELECT * FROM typed ORDER BY id';
const cells = [
  { id: 'typed', source: `%%sql warehouse\n${TYPED_SQL}` },
  {
    id: 'inspect',
    source: [
      'import json, pandas as pd',
      "print(json.dumps({'dtypes': {c: str(t) for c, t in df.dtypes.items()}, 'rows': [[None if pd.isna(v) else str(v) for v in row] for row in df.astype(object).values.tolist()]}))",
    ].join('\n'),
  },
  { id: 'prices', source: '%%sql warehouse --as prices\nSELECT id, price FROM prices ORDER BY id' },
  { id: 'show-prices', source: "import json\nprint(json.dumps(prices['price'].tolist()))" },
  { id: 'bad', source: '%%sql warehouse\nSELEC broken FROM nowhere' },
  { id: 'unknown', source: '%%sql nosuchdb\nSELECT 1' },
  { id: 'progress', source: "from tandem import progress\nimport time\nfor _ in progress(range(20), label='work'):\n    time.sleep(0.02)" },
];

async function run(cellId: string, token: string | null = server.token): Promise<ExecutionRecord> {
  const [record] = await execute(server, fileId, [cellId], token);
  return waitForRun(viewer, record.id);
}

async function snapshotsOf(cellId: string, token = server.token): Promise<{ id: string; rows: number }[]> {
  const response = await server.api('GET', `/api/snapshots?notebook=${fileId}&cell=${cellId}`, undefined, token);
  expect(response.status).toBe(200);
  return ((await response.json()) as { snapshots: { id: string; rows: number }[] }).snapshots;
}

/** Changes a cell's source as an editor, and waits until the server has it. */
async function edit(cellId: string, source: string): Promise<void> {
  setSource(editor, cellId, source);
  await eventually(() => expect(viewer.notebook.cells.find((c) => c.getId() === cellId)?.getSource()).toBe(source));
}

beforeAll(async () => {
  pg = await startPostgres();
  await pg.query(`
    CREATE TABLE typed (id integer, big bigint, label text, ratio double precision, amount numeric(10,2), flag boolean,
                        at timestamptz, day date, local timestamp);
    INSERT INTO typed VALUES
      (1, 9007199254740993, 'first', 0.5, 12.34, true, '2024-03-01 12:00:00.123456+00', '2024-03-01', '2024-03-01 08:30:00'),
      (2, NULL, NULL, NULL, NULL, false, NULL, NULL, NULL),
      (3, -7, 'three, with ''quotes''', -1.25, 0, true, '1999-12-31 23:59:59+02', '1999-12-31', '1999-12-31 23:59:59');
    CREATE TABLE prices (id integer, price integer);
    INSERT INTO prices VALUES (1, 100), (2, 200);
  `);
  ({ server, configDir } = await startTandemWithWarehouse(pg));
  await server.api('PUT', '/api/contents/report.ipynb', { type: 'notebook', format: 'json', content: makeNotebook(cells) });
  await server.api('PUT', '/api/contents/other.ipynb', { type: 'notebook', format: 'json', content: makeNotebook([{ id: 'x', source: '1' }]) });
  const share = async (path: string, role: string) => (await (await server.api('POST', '/api/shares', { path, role })).json()).token as string;
  viewerToken = await share('report.ipynb', 'viewer');
  runnerToken = await share('report.ipynb', 'runner');
  otherViewerToken = await share('other.ipynb', 'viewer');
  editor = await connectNotebook(server, 'report.ipynb');
  viewer = await connectNotebook(server, 'report.ipynb', { token: viewerToken });
  fileId = viewer.fileId;
});

afterAll(async () => {
  if (process.env.DEBUG_LOGS) console.log(server?.logs().split('\n').filter((l) => /"level":(40|50)/.test(l)).join('\n'));
  editor?.destroy();
  viewer?.destroy();
  await server?.stop();
  await pg?.stop();
  if (configDir) removeDir(configDir);
  if (server) removeDir(server.root);
});

test('a SQL cell against Postgres creates a snapshot, and df in the kernel has the right rows and types', async () => {
  expect((await run('typed', runnerToken)).status).toBe('ok');
  const [snapshot] = await snapshotsOf('typed');
  expect(snapshot.rows).toBe(3);
  expect(queryState(viewer, 'typed')).toMatchObject({ phase: 'done', choice: 'query', mode: 'reproducible', rows: 3, snapshot: { id: snapshot.id, pinned: true } });
  expect(pinOf(viewer, 'typed')).toBe(snapshot.id);

  // The output is a preview: first rows, row count, and where the data came from.
  const [preview] = outputsOf(viewer, 'typed');
  const data = preview.data as Record<string, unknown>;
  expect(String(data['text/plain'])).toMatch(/^df: 3 rows × 9 columns from warehouse · pinned snapshot [0-9a-f]{12} · fetched /);
  expect(String(data['text/html'])).toContain('three, with');
  expect(data[QUERY_RESULT_MIME]).toMatchObject({ snapshotId: snapshot.id, rows: 3, connection: 'warehouse', pinned: true });

  expect((await run('inspect')).status).toBe('ok');
  const { dtypes, rows } = await printedJSON<{ dtypes: Record<string, string>; rows: (string | null)[][] }>(viewer, 'inspect');
  expect(dtypes).toEqual({
    id: 'int32',
    big: 'Int64',
    label: 'object',
    ratio: 'float64',
    amount: 'float64',
    flag: 'bool',
    at: 'datetime64[ns, UTC]',
    day: 'datetime64[ns]',
    local: 'datetime64[ns]',
  });
  expect(rows[0]).toEqual(['1', '9007199254740993', 'first', '0.5', '12.34', 'True', '2024-03-01 12:00:00.123456+00:00', '2024-03-01 00:00:00', '2024-03-01 08:30:00']);
  expect(rows[1]).toEqual(['2', null, null, null, null, 'False', null, null, null]);
  expect(rows[2]).toEqual(['3', '-7', "three, with 'quotes'", '-1.25', '0.0', 'True', '1999-12-31 21:59:59+00:00', '1999-12-31 00:00:00', '1999-12-31 23:59:59']);

  // The same data as an Arrow stream over HTTP, with its metadata.
  const meta = await (await server.api('GET', `/api/snapshots/${snapshot.id}`)).json();
  expect(meta).toMatchObject({ id: snapshot.id, notebook: fileId, cellId: 'typed', connection: { name: 'warehouse', type: 'postgres' }, normalizedSql: TYPED_SQL, params: [], rows: 3 });
  expect(meta.queryHash).toMatch(/^[0-9a-f]{64}$/);
  expect(meta.columns.map((c: { name: string; pgType: string }) => `${c.name}:${c.pgType}`)).toEqual([
    'id:integer', 'big:bigint', 'label:text', 'ratio:double precision', 'amount:numeric', 'flag:boolean', 'at:timestamptz', 'day:date', 'local:timestamp',
  ]);
  const response = await server.api('GET', `/api/snapshots/${snapshot.id}/data`);
  expect(response.headers.get('content-type')).toBe('application/vnd.apache.arrow.stream');
  const table = tableFromIPC(new Uint8Array(await response.arrayBuffer()));
  expect(table.numRows).toBe(3);
  expect(table.getChild('big')!.get(0)).toBe(9007199254740993n);
});

test('in reproducible mode a re-run after the table changed loads the pinned snapshot', async () => {
  expect((await run('prices')).status).toBe('ok');
  const pinned = pinOf(viewer, 'prices');
  expect(pinned).toMatch(/^[0-9a-f]{32}$/);
  await pg.query('UPDATE prices SET price = price + 1');
  expect((await run('prices')).status).toBe('ok');
  expect(queryState(viewer, 'prices')).toMatchObject({ choice: 'pinned', phase: 'done', reason: 'Reproducible: using the pinned snapshot', snapshot: { id: pinned, pinned: true } });
  expect(await snapshotsOf('prices')).toHaveLength(1);
  await run('show-prices');
  expect(await printedJSON(viewer, 'show-prices')).toEqual([100, 200]);
});

test('--live gets the new data and re-pins', async () => {
  const before = pinOf(viewer, 'prices');
  await edit('prices', '%%sql warehouse --as prices --live\nSELECT id, price FROM prices ORDER BY id');
  expect((await run('prices')).status).toBe('ok');
  await eventually(() => expect(pinOf(viewer, 'prices')).not.toBe(before));
  expect(queryState(viewer, 'prices')).toMatchObject({ choice: 'query', reason: '--live: querying again and re-pinning', snapshot: { id: pinOf(viewer, 'prices'), pinned: true } });
  await run('show-prices');
  expect(await printedJSON(viewer, 'show-prices')).toEqual([101, 201]);
  expect(await snapshotsOf('prices')).toHaveLength(2);
  await edit('prices', '%%sql warehouse --as prices\nSELECT id, price FROM prices ORDER BY id');
});

test('a refresh queries again and re-pins, whatever is pinned', async () => {
  const before = pinOf(viewer, 'prices');
  await pg.query('UPDATE prices SET price = price + 1');
  const response = await server.api('POST', `/api/notebooks/${fileId}/cells/prices/refresh`, undefined, runnerToken);
  expect(response.status).toBe(202);
  const [record] = (await response.json()).runs as ExecutionRecord[];
  expect((await waitForRun(viewer, record.id)).status).toBe('ok');
  await eventually(() => expect(pinOf(viewer, 'prices')).not.toBe(before));
  expect(queryState(viewer, 'prices')).toMatchObject({ choice: 'query', reason: 'Refresh: querying again and re-pinning' });
  await run('show-prices');
  expect(await printedJSON(viewer, 'show-prices')).toEqual([102, 202]);
  // Only that run: the next one uses the new pin.
  expect((await run('prices')).status).toBe('ok');
  expect(queryState(viewer, 'prices')).toMatchObject({ choice: 'pinned', snapshot: { id: pinOf(viewer, 'prices') } });
});

test('in live mode every run queries again, and shows how old its data is', async () => {
  editor.notebook.setMetadata({ ...editor.notebook.getMetadata(), tandem: { queries: 'live' } });
  await eventually(() => expect((viewer.notebook.getMetadata().tandem as { queries?: string } | undefined)?.queries).toBe('live'));
  const pin = pinOf(viewer, 'prices');
  const before = (await snapshotsOf('prices')).length;
  for (const price of [300, 400]) {
    await pg.query('UPDATE prices SET price = $1 WHERE id = 1', [price]);
    expect((await run('prices')).status).toBe('ok');
    const state = queryState(viewer, 'prices')!;
    expect(state).toMatchObject({ mode: 'live', choice: 'query', reason: 'Live notebook: every run queries again', phase: 'done' });
    expect(state.snapshot!.pinned).toBe(false);
    expect(Date.now() - state.snapshot!.createdAt).toBeLessThan(60_000);
    await run('show-prices');
    expect(await printedJSON(viewer, 'show-prices')).toEqual([price, 202]);
  }
  expect(await snapshotsOf('prices')).toHaveLength(before + 2);
  // A live notebook leaves the cell's pin (and so the file) alone.
  expect(pinOf(viewer, 'prices')).toBe(pin);
  expect(String((outputsOf(viewer, 'prices')[0].data as Record<string, string>)['text/plain'])).toMatch(/· snapshot [0-9a-f]{12} · fetched .* \(\d+ s ago\) · live/);
  editor.notebook.setMetadata({ ...editor.notebook.getMetadata(), tandem: { queries: 'reproducible' } });
  await eventually(() => expect((viewer.notebook.getMetadata().tandem as { queries?: string } | undefined)?.queries).toBe('reproducible'));
});

test('a viewer client sees the snapshot choice and the data age', () => {
  const state = queryState(viewer, 'typed')!;
  expect(state.mode).toBe('reproducible');
  expect(state.choice).toBe('query');
  expect(state.reason).toBe('Reproducible: no snapshot pinned yet; querying and pinning the result');
  expect(state.snapshot).toMatchObject({ id: pinOf(viewer, 'typed'), rows: 3, pinned: true });
  expect(state.snapshot!.createdAt).toBeLessThanOrEqual(Date.now());
  expect(state.snapshot!.createdAt).toBeGreaterThan(state.startedAt);
  expect(state.elapsedMs).toBeGreaterThanOrEqual(0);
  expect(state.requestedBy.name).toMatch(/^Anonymous /);
});

test('an editor lists a cell\'s snapshots and pins another; the next run loads it', async () => {
  const snapshots = await snapshotsOf('prices', viewerToken);
  const oldest = snapshots.at(-1)!;
  expect(pinOf(viewer, 'prices')).not.toBe(oldest.id);
  expect((await server.api('POST', `/api/notebooks/${fileId}/cells/prices/snapshot`, { snapshotId: oldest.id }, runnerToken)).status).toBe(403);
  expect((await server.api('POST', `/api/notebooks/${fileId}/cells/prices/snapshot`, { snapshotId: oldest.id })).status).toBe(200);
  await eventually(() => expect(pinOf(viewer, 'prices')).toBe(oldest.id));
  expect(queryState(viewer, 'prices')).toMatchObject({ choice: 'pinned', snapshot: { id: oldest.id, pinned: true } });
  expect((await run('prices')).status).toBe('ok');
  await run('show-prices');
  expect(await printedJSON(viewer, 'show-prices')).toEqual([100, 200]);
  // Another cell's snapshot cannot be pinned here.
  const [typed] = await snapshotsOf('typed');
  expect((await server.api('POST', `/api/notebooks/${fileId}/cells/prices/snapshot`, { snapshotId: typed.id })).status).toBe(400);
});

test('bad SQL gives a clear error output, and no snapshot', async () => {
  expect((await run('bad')).status).toBe('error');
  const [error] = outputsOf(viewer, 'bad');
  expect(error).toMatchObject({ output_type: 'error', ename: 'SqlQueryError' });
  expect(String(error.evalue)).toMatch(/syntax error at or near "SELEC" \(at character 1 of the query\)/);
  expect(queryState(viewer, 'bad')).toMatchObject({ phase: 'error', message: expect.stringContaining('syntax error') });
  expect(await snapshotsOf('bad')).toEqual([]);
  expect(pinOf(viewer, 'bad')).toBeUndefined();
});

test('an unknown connection name gives a clear error', async () => {
  expect((await run('unknown')).status).toBe('error');
  const [error] = outputsOf(viewer, 'unknown');
  expect(error).toMatchObject({ output_type: 'error', ename: 'SqlQueryError' });
  expect(error.evalue).toBe('Unknown connection "nosuchdb". This server has: demo, warehouse. Name connections in the file given to --connections.');
  expect(await snapshotsOf('unknown')).toEqual([]);
});

test('a viewer cannot run a SQL cell or read another notebook\'s snapshots', async () => {
  const before = (await snapshotsOf('prices')).length;
  const refused = await server.api('POST', `/api/notebooks/${fileId}/execute`, { cellIds: ['prices'] }, viewerToken);
  expect(refused.status).toBe(403);
  expect((await server.api('POST', `/api/notebooks/${fileId}/cells/prices/refresh`, undefined, viewerToken)).status).toBe(403);
  const [snapshot] = await snapshotsOf('typed', viewerToken);
  expect((await server.api('GET', `/api/snapshots/${snapshot.id}`, undefined, viewerToken)).status).toBe(200);
  // A link to another notebook finds nothing of this one.
  expect((await server.api('GET', `/api/snapshots/${snapshot.id}`, undefined, otherViewerToken)).status).toBe(404);
  expect((await server.api('GET', `/api/snapshots/${snapshot.id}/data`, undefined, otherViewerToken)).status).toBe(404);
  expect((await server.api('GET', `/api/snapshots?notebook=${fileId}`, undefined, otherViewerToken)).status).toBe(403);
  expect((await server.api('GET', `/api/snapshots/${snapshot.id}`, undefined, null)).status).toBe(401);
  await new Promise((r) => setTimeout(r, 300));
  expect(await snapshotsOf('prices')).toHaveLength(before);
});

test('tandem.progress in a cell shows one progress bar, updated in place', async () => {
  expect((await run('progress')).status).toBe('ok');
  const outputs = outputsOf(viewer, 'progress');
  expect(outputs).toHaveLength(1);
  const data = outputs[0].data as Record<string, unknown>;
  expect(data[PROGRESS_MIME]).toEqual({ current: 20, total: 20, label: 'work' });
  expect(data['text/plain']).toBe('work: [##############################] 20/20 (100%)');
});

test('credentials appear nowhere: not in the document, outputs, snapshots or logs', async () => {
  const everything = [
    JSON.stringify(viewer.doc.toJSON()),
    server.output(),
    readFileSync(join(server.root, 'report.ipynb'), 'utf8'),
    ...readdirSync(join(server.stateDir, 'snapshots', 'meta')).map((name) => readFileSync(join(server.stateDir, 'snapshots', 'meta', name), 'utf8')),
  ].join('\n');
  expect(everything).not.toContain(pg.password);
  expect(everything).toContain('warehouse');
});

test('the snapshot store survives a server restart', async () => {
  const [snapshot] = await snapshotsOf('typed');
  const pin = pinOf(viewer, 'prices');
  viewer.destroy();
  editor.destroy();
  await server.stop();
  server = await server.restart();
  viewer = await connectNotebook(server, 'report.ipynb', { token: viewerToken });
  editor = await connectNotebook(server, 'report.ipynb');
  expect((await (await server.api('GET', `/api/snapshots/${snapshot.id}`)).json()).rows).toBe(3);
  expect((await snapshotsOf('typed')).map((s) => s.id)).toEqual([snapshot.id]);
  expect(pinOf(viewer, 'prices')).toBe(pin);
  await pg.query('UPDATE prices SET price = 0');
  expect((await run('prices')).status).toBe('ok');
  expect(queryState(viewer, 'prices')).toMatchObject({ choice: 'pinned', snapshot: { id: pin } });
  await run('show-prices');
  expect(await printedJSON(viewer, 'show-prices')).toEqual([100, 200]);
  expect(stdoutOf(viewer, 'show-prices')).not.toContain('0, 0');
});

test('live runs on unchanged data leave one snapshot with every fetch on it; changed data makes a new one', async () => {
  await pg.query('CREATE TABLE steady (id integer, v text); INSERT INTO steady VALUES (1, \'a\'), (2, \'b\')');
  const notebook = { ...makeNotebook([{ id: 'steady', source: '%%sql warehouse --as steady\nSELECT * FROM steady ORDER BY id' }]) };
  notebook.metadata = { ...(notebook.metadata as Record<string, unknown>), tandem: { queries: 'live' } };
  await server.api('PUT', '/api/contents/live-steady.ipynb', { type: 'notebook', format: 'json', content: notebook });
  const client = await connectNotebook(server, 'live-steady.ipynb');
  try {
    const runLive = async (): Promise<ExecutionRecord> => {
      const [record] = await execute(server, client.fileId, ['steady']);
      const done = await waitForRun(client, record.id);
      expect(done.status).toBe('ok');
      return done;
    };
    const list = async () => {
      const response = await server.api('GET', `/api/snapshots?notebook=${client.fileId}&cell=steady`);
      return ((await response.json()) as { snapshots: { id: string; fetchCount: number; fetches: { runId: string; finishedAt: number }[]; finishedAt: number; runId: string }[] }).snapshots;
    };
    const runs = [await runLive(), await runLive(), await runLive()];
    const [one, ...others] = await list();
    expect(others).toEqual([]);
    expect(one.fetchCount).toBe(3);
    expect(one.fetches.map((f) => f.runId)).toEqual(runs.map((r) => r.id));
    const times = one.fetches.map((f) => f.finishedAt);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    // The snapshot shows its latest fetch: that is how old its data is known to be.
    expect(one).toMatchObject({ runId: runs[2].id, finishedAt: times[2] });
    expect(queryState(client, 'steady')?.snapshot).toMatchObject({ id: one.id, createdAt: times[2] });

    await pg.query('UPDATE steady SET v = \'c\' WHERE id = 2');
    const changed = await runLive();
    const [newest, kept] = await list();
    expect(newest).toMatchObject({ fetchCount: 1, runId: changed.id });
    expect(newest.id).not.toBe(one.id);
    expect(kept).toMatchObject({ id: one.id, fetchCount: 3 });
  } finally {
    client.destroy();
  }
});
