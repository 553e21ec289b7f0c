// SQL cells against a real Postgres, through a real Tandem and kernel: snapshots and their
// types in the kernel, reproducible and live notebooks, pinning, errors, roles, credentials,
// and the snapshot store across a restart.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { type ExecutionRecord, PROGRESS_MIME, QUERY_RESULT_MIME } from '../../common/doc-schema';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { execute, outputsOf, waitForRun } from '../helpers/execution';
import { makeNotebook } from '../helpers/notebooks';
import { type PostgresServer, startPostgres } from '../helpers/postgres';
import type { TandemProcess } from '../helpers/tandem';
import { pinOf, printedJSON, queryState, removeDir, setSource, startTandemWithWarehouse, stdoutOf } from './support';

let pg: PostgresServer;
let server: TandemProcess;
let configDir: string;
let otherViewerToken: string;

const TYPED_SQL = 'SELECT * FROM typed ORDER BY id';
const INSPECT = [
  'import json, pandas as pd',
  "print(json.dumps({'dtypes': {c: str(t) for c, t in df.dtypes.items()}, 'rows': [[None if pd.isna(v) else str(v) for v in row] for row in df.astype(object).values.tolist()]}))",
].join('\n');

/**
 * One test's notebook: its own `prices` table (rows (1, 100) and (2, 200)), its own kernel, an
 * editor and a viewer connected, and runner and viewer links. Tests share the server and the
 * read-only `typed` table only, so each runs alone (`vitest -t NAME`) as well as in order.
 */
interface Report {
  fileId: string;
  path: string;
  prices: string;
  editor: NotebookClient;
  viewer: NotebookClient;
  viewerToken: string;
  runnerToken: string;
  run(cellId: string, token?: string | null): Promise<ExecutionRecord>;
  snapshotsOf(cellId: string, token?: string): Promise<{ id: string; rows: number }[]>;
  /** Changes a cell's source as an editor, and waits until the server has it. */
  edit(cellId: string, source: string): Promise<void>;
  pricesSql(flags?: string): string;
}

let reports = 0;
const open: Report[] = [];

async function share(path: string, role: string): Promise<string> {
  return (await (await server.api('POST', '/api/shares', { path, role })).json()).token as string;
}

async function newReport(): Promise<Report> {
  const n = ++reports;
  const prices = `prices_${n}`;
  await pg.query(`CREATE TABLE ${prices} (id integer, price integer); INSERT INTO ${prices} VALUES (1, 100), (2, 200)`);
  const pricesSql = (flags = '') => `%%sql warehouse --as prices${flags}\nSELECT id, price FROM ${prices} ORDER BY id`;
  const cells = [
    { id: 'typed', source: `%%sql warehouse\n${TYPED_SQL}` },
    { id: 'inspect', source: INSPECT },
    { id: 'prices', source: pricesSql() },
    { id: 'show-prices', source: "import json\nprint(json.dumps(prices['price'].tolist()))" },
    { id: 'bad', source: '%%sql warehouse\nSELEC broken FROM nowhere' },
    { id: 'unknown', source: '%%sql nosuchdb\nSELECT 1' },
    { id: 'progress', source: "from tandem import progress\nimport time\nfor _ in progress(range(20), label='work'):\n    time.sleep(0.02)" },
    { id: 'marker', source: "print('marker')" },
  ];
  const path = `report-${n}.ipynb`;
  await server.api('PUT', `/api/contents/${path}`, { type: 'notebook', format: 'json', content: makeNotebook(cells) });
  const viewerToken = await share(path, 'viewer');
  const runnerToken = await share(path, 'runner');
  const editor = await connectNotebook(server, path);
  const viewer = await connectNotebook(server, path, { token: viewerToken });
  const fileId = viewer.fileId;
  const report: Report = {
    fileId,
    path,
    prices,
    editor,
    viewer,
    viewerToken,
    runnerToken,
    pricesSql,
    async run(cellId, token = server.token) {
      const [record] = await execute(server, fileId, [cellId], token);
      return waitForRun(report.viewer, record.id);
    },
    async snapshotsOf(cellId, token = server.token) {
      const response = await server.api('GET', `/api/snapshots?notebook=${fileId}&cell=${cellId}`, undefined, token);
      expect(response.status).toBe(200);
      return ((await response.json()) as { snapshots: { id: string; rows: number }[] }).snapshots;
    },
    async edit(cellId, source) {
      setSource(report.editor, cellId, source);
      await eventually(() => expect(report.viewer.notebook.cells.find((c) => c.getId() === cellId)?.getSource()).toBe(source));
    },
  };
  open.push(report);
  return report;
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
  `);
  ({ server, configDir } = await startTandemWithWarehouse(pg));
  await server.api('PUT', '/api/contents/other.ipynb', { type: 'notebook', format: 'json', content: makeNotebook([{ id: 'x', source: '1' }]) });
  otherViewerToken = await share('other.ipynb', 'viewer');
});

// Each test's kernel is shut down after it: a dozen idle kernels with pandas would crowd the machine.
afterEach(async () => {
  for (const report of open.splice(0)) {
    report.editor.destroy();
    report.viewer.destroy();
    await server.api('POST', `/api/notebooks/${report.fileId}/shutdown`);
  }
});

afterAll(async () => {
  if (process.env.DEBUG_LOGS)
    console.log(
      server
        ?.logs()
        .split('\n')
        .filter((l) => /"level":(40|50)/.test(l))
        .join('\n'),
    );
  await server?.stop();
  await pg?.stop();
  if (configDir) removeDir(configDir);
  if (server) removeDir(server.root);
});

test('a SQL cell against Postgres creates a snapshot, and df in the kernel has the right rows and types', async () => {
  const r = await newReport();
  expect((await r.run('typed', r.runnerToken)).status).toBe('ok');
  const [snapshot] = await r.snapshotsOf('typed');
  expect(snapshot.rows).toBe(3);
  expect(queryState(r.viewer, 'typed')).toMatchObject({
    phase: 'done',
    choice: 'query',
    mode: 'reproducible',
    rows: 3,
    snapshot: { id: snapshot.id, pinned: true },
  });
  expect(pinOf(r.viewer, 'typed')).toBe(snapshot.id);

  // The output is a preview: first rows, row count, and where the data came from.
  const [preview] = outputsOf(r.viewer, 'typed');
  const data = preview.data as Record<string, unknown>;
  expect(String(data['text/plain'])).toMatch(/^df: 3 rows × 9 columns from warehouse · pinned snapshot [0-9a-f]{12} · fetched /);
  expect(String(data['text/html'])).toContain('three, with');
  expect(data[QUERY_RESULT_MIME]).toMatchObject({ snapshotId: snapshot.id, rows: 3, connection: 'warehouse', pinned: true });

  expect((await r.run('inspect')).status).toBe('ok');
  const { dtypes, rows } = await printedJSON<{ dtypes: Record<string, string>; rows: (string | null)[][] }>(r.viewer, 'inspect');
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
  expect(rows[0]).toEqual([
    '1',
    '9007199254740993',
    'first',
    '0.5',
    '12.34',
    'True',
    '2024-03-01 12:00:00.123456+00:00',
    '2024-03-01 00:00:00',
    '2024-03-01 08:30:00',
  ]);
  expect(rows[1]).toEqual(['2', null, null, null, null, 'False', null, null, null]);
  expect(rows[2]).toEqual([
    '3',
    '-7',
    "three, with 'quotes'",
    '-1.25',
    '0.0',
    'True',
    '1999-12-31 21:59:59+00:00',
    '1999-12-31 00:00:00',
    '1999-12-31 23:59:59',
  ]);

  // The same data as an Arrow stream over HTTP, with its metadata.
  const meta = await (await server.api('GET', `/api/snapshots/${snapshot.id}`)).json();
  expect(meta).toMatchObject({
    id: snapshot.id,
    notebook: r.fileId,
    cellId: 'typed',
    connection: { name: 'warehouse', type: 'postgres' },
    normalizedSql: TYPED_SQL,
    params: [],
    rows: 3,
  });
  expect(meta.queryHash).toMatch(/^[0-9a-f]{64}$/);
  expect(meta.columns.map((c: { name: string; pgType: string }) => `${c.name}:${c.pgType}`)).toEqual([
    'id:integer',
    'big:bigint',
    'label:text',
    'ratio:double precision',
    'amount:numeric',
    'flag:boolean',
    'at:timestamptz',
    'day:date',
    'local:timestamp',
  ]);
  const response = await server.api('GET', `/api/snapshots/${snapshot.id}/data`);
  expect(response.headers.get('content-type')).toBe('application/vnd.apache.arrow.stream');
  const table = tableFromIPC(new Uint8Array(await response.arrayBuffer()));
  expect(table.numRows).toBe(3);
  expect(table.getChild('big')!.get(0)).toBe(9007199254740993n);
});

test('in reproducible mode a re-run after the table changed loads the pinned snapshot', async () => {
  const r = await newReport();
  expect((await r.run('prices')).status).toBe('ok');
  const pinned = pinOf(r.viewer, 'prices');
  expect(pinned).toMatch(/^[0-9a-f]{32}$/);
  await pg.query(`UPDATE ${r.prices} SET price = price + 1`);
  expect((await r.run('prices')).status).toBe('ok');
  expect(queryState(r.viewer, 'prices')).toMatchObject({
    choice: 'pinned',
    phase: 'done',
    reason: 'Reproducible: using the pinned snapshot',
    snapshot: { id: pinned, pinned: true },
  });
  expect(await r.snapshotsOf('prices')).toHaveLength(1);
  await r.run('show-prices');
  expect(await printedJSON(r.viewer, 'show-prices')).toEqual([100, 200]);
});

test('--live gets the new data and re-pins', async () => {
  const r = await newReport();
  expect((await r.run('prices')).status).toBe('ok');
  await pg.query(`UPDATE ${r.prices} SET price = price + 1`);
  const before = pinOf(r.viewer, 'prices');
  await r.edit('prices', r.pricesSql(' --live'));
  expect((await r.run('prices')).status).toBe('ok');
  await eventually(() => expect(pinOf(r.viewer, 'prices')).not.toBe(before));
  expect(queryState(r.viewer, 'prices')).toMatchObject({
    choice: 'query',
    reason: '--live: querying again and re-pinning',
    snapshot: { id: pinOf(r.viewer, 'prices'), pinned: true },
  });
  await r.run('show-prices');
  expect(await printedJSON(r.viewer, 'show-prices')).toEqual([101, 201]);
  expect(await r.snapshotsOf('prices')).toHaveLength(2);
});

test('a refresh queries again and re-pins, whatever is pinned', async () => {
  const r = await newReport();
  expect((await r.run('prices')).status).toBe('ok');
  const before = pinOf(r.viewer, 'prices');
  await pg.query(`UPDATE ${r.prices} SET price = price + 2`);
  const response = await server.api('POST', `/api/notebooks/${r.fileId}/cells/prices/refresh`, undefined, r.runnerToken);
  expect(response.status).toBe(202);
  const [record] = (await response.json()).runs as ExecutionRecord[];
  expect((await waitForRun(r.viewer, record.id)).status).toBe('ok');
  await eventually(() => expect(pinOf(r.viewer, 'prices')).not.toBe(before));
  expect(queryState(r.viewer, 'prices')).toMatchObject({ choice: 'query', reason: 'Refresh: querying again and re-pinning' });
  await r.run('show-prices');
  expect(await printedJSON(r.viewer, 'show-prices')).toEqual([102, 202]);
  // Only that run: the next one uses the new pin.
  expect((await r.run('prices')).status).toBe('ok');
  expect(queryState(r.viewer, 'prices')).toMatchObject({ choice: 'pinned', snapshot: { id: pinOf(r.viewer, 'prices') } });
});

test('in live mode every run queries again, and shows how old its data is', async () => {
  const r = await newReport();
  expect((await r.run('prices')).status).toBe('ok');
  r.editor.notebook.setMetadata({ ...r.editor.notebook.getMetadata(), tandem: { queries: 'live' } });
  await eventually(() => expect((r.viewer.notebook.getMetadata().tandem as { queries?: string } | undefined)?.queries).toBe('live'));
  const pin = pinOf(r.viewer, 'prices');
  const before = (await r.snapshotsOf('prices')).length;
  for (const price of [300, 400]) {
    await pg.query(`UPDATE ${r.prices} SET price = $1 WHERE id = 1`, [price]);
    expect((await r.run('prices')).status).toBe('ok');
    const state = queryState(r.viewer, 'prices')!;
    expect(state).toMatchObject({ mode: 'live', choice: 'query', reason: 'Live notebook: every run queries again', phase: 'done' });
    expect(state.snapshot!.pinned).toBe(false);
    expect(Date.now() - state.snapshot!.createdAt).toBeLessThan(60_000);
    await r.run('show-prices');
    expect(await printedJSON(r.viewer, 'show-prices')).toEqual([price, 200]);
  }
  expect(await r.snapshotsOf('prices')).toHaveLength(before + 2);
  // A live notebook leaves the cell's pin (and so the file) alone.
  expect(pinOf(r.viewer, 'prices')).toBe(pin);
  expect(String((outputsOf(r.viewer, 'prices')[0].data as Record<string, string>)['text/plain'])).toMatch(
    /· snapshot [0-9a-f]{12} · fetched .* \(\d+ s ago\) · live/,
  );
});

test('a viewer client sees the snapshot choice and the data age', async () => {
  const r = await newReport();
  expect((await r.run('typed', r.runnerToken)).status).toBe('ok');
  const state = queryState(r.viewer, 'typed')!;
  expect(state.mode).toBe('reproducible');
  expect(state.choice).toBe('query');
  expect(state.reason).toBe('Reproducible: no snapshot pinned yet; querying and pinning the result');
  expect(state.snapshot).toMatchObject({ id: pinOf(r.viewer, 'typed'), rows: 3, pinned: true });
  expect(state.snapshot!.createdAt).toBeLessThanOrEqual(Date.now());
  expect(state.snapshot!.createdAt).toBeGreaterThan(state.startedAt);
  expect(state.elapsedMs).toBeGreaterThanOrEqual(0);
  expect(state.requestedBy.name).toMatch(/^Anonymous /);
});

test("an editor lists a cell's snapshots and pins another; the next run loads it", async () => {
  const r = await newReport();
  expect((await r.run('prices')).status).toBe('ok');
  await pg.query(`UPDATE ${r.prices} SET price = price + 1`);
  const first = pinOf(r.viewer, 'prices');
  await r.edit('prices', r.pricesSql(' --live'));
  expect((await r.run('prices')).status).toBe('ok');
  await eventually(() => expect(pinOf(r.viewer, 'prices')).not.toBe(first));
  expect((await r.run('typed')).status).toBe('ok');

  const snapshots = await r.snapshotsOf('prices', r.viewerToken);
  const oldest = snapshots.at(-1)!;
  expect(pinOf(r.viewer, 'prices')).not.toBe(oldest.id);
  expect((await server.api('POST', `/api/notebooks/${r.fileId}/cells/prices/snapshot`, { snapshotId: oldest.id }, r.runnerToken)).status).toBe(403);
  expect((await server.api('POST', `/api/notebooks/${r.fileId}/cells/prices/snapshot`, { snapshotId: oldest.id })).status).toBe(200);
  await eventually(() => expect(pinOf(r.viewer, 'prices')).toBe(oldest.id));
  expect(queryState(r.viewer, 'prices')).toMatchObject({ choice: 'pinned', snapshot: { id: oldest.id, pinned: true } });
  await r.edit('prices', r.pricesSql());
  expect((await r.run('prices')).status).toBe('ok');
  await r.run('show-prices');
  expect(await printedJSON(r.viewer, 'show-prices')).toEqual([100, 200]);
  // Another cell's snapshot cannot be pinned here.
  const [typed] = await r.snapshotsOf('typed');
  expect((await server.api('POST', `/api/notebooks/${r.fileId}/cells/prices/snapshot`, { snapshotId: typed.id })).status).toBe(400);
});

test('bad SQL gives a clear error output, and no snapshot', async () => {
  const r = await newReport();
  expect((await r.run('bad')).status).toBe('error');
  const [error] = outputsOf(r.viewer, 'bad');
  expect(error).toMatchObject({ output_type: 'error', ename: 'SqlQueryError' });
  expect(String(error.evalue)).toMatch(/syntax error at or near "SELEC" \(at character 1 of the query\)/);
  expect(queryState(r.viewer, 'bad')).toMatchObject({ phase: 'error', message: expect.stringContaining('syntax error') });
  expect(await r.snapshotsOf('bad')).toEqual([]);
  expect(pinOf(r.viewer, 'bad')).toBeUndefined();
});

test('an unknown connection name gives a clear error', async () => {
  const r = await newReport();
  expect((await r.run('unknown')).status).toBe('error');
  const [error] = outputsOf(r.viewer, 'unknown');
  expect(error).toMatchObject({ output_type: 'error', ename: 'SqlQueryError' });
  expect(error.evalue).toBe('Unknown connection "nosuchdb". This server has: demo, warehouse. Name connections in the file given to --connections.');
  expect(await r.snapshotsOf('unknown')).toEqual([]);
});

test("a viewer cannot run a SQL cell or read another notebook's snapshots", async () => {
  const r = await newReport();
  expect((await r.run('typed')).status).toBe('ok');
  const before = (await r.snapshotsOf('prices')).length;
  const refused = await server.api('POST', `/api/notebooks/${r.fileId}/execute`, { cellIds: ['prices'] }, r.viewerToken);
  expect(refused.status).toBe(403);
  expect((await server.api('POST', `/api/notebooks/${r.fileId}/cells/prices/refresh`, undefined, r.viewerToken)).status).toBe(403);
  const [snapshot] = await r.snapshotsOf('typed', r.viewerToken);
  expect((await server.api('GET', `/api/snapshots/${snapshot.id}`, undefined, r.viewerToken)).status).toBe(200);
  // A link to another notebook finds nothing of this one.
  expect((await server.api('GET', `/api/snapshots/${snapshot.id}`, undefined, otherViewerToken)).status).toBe(404);
  expect((await server.api('GET', `/api/snapshots/${snapshot.id}/data`, undefined, otherViewerToken)).status).toBe(404);
  expect((await server.api('GET', `/api/snapshots?notebook=${r.fileId}`, undefined, otherViewerToken)).status).toBe(403);
  expect((await server.api('GET', `/api/snapshots/${snapshot.id}`, undefined, null)).status).toBe(401);
  // A run asked for after the refused ones has finished, so anything they had queued would have run.
  expect((await r.run('marker')).status).toBe('ok');
  expect([...r.viewer.doc.getMap<ExecutionRecord>('executions').values()].filter((record) => record.cellId === 'prices')).toEqual([]);
  expect(await r.snapshotsOf('prices')).toHaveLength(before);
});

test('tandem.progress in a cell shows one progress bar, updated in place', async () => {
  const r = await newReport();
  expect((await r.run('progress')).status).toBe('ok');
  const outputs = outputsOf(r.viewer, 'progress');
  expect(outputs).toHaveLength(1);
  const data = outputs[0].data as Record<string, unknown>;
  expect(data[PROGRESS_MIME]).toEqual({ current: 20, total: 20, label: 'work' });
  expect(data['text/plain']).toBe('work: [##############################] 20/20 (100%)');
});

test('credentials appear nowhere: not in the document, outputs, snapshots or logs', async () => {
  const r = await newReport();
  expect((await r.run('typed')).status).toBe('ok');
  expect((await r.run('bad')).status).toBe('error');
  // The file holds the run's outputs once it is saved.
  await eventually(() => expect(readFileSync(join(server.root, r.path), 'utf8')).toContain('SqlQueryError'));
  const everything = [
    JSON.stringify(r.viewer.doc.toJSON()),
    server.output(),
    readFileSync(join(server.root, r.path), 'utf8'),
    ...readdirSync(join(server.stateDir, 'snapshots', 'meta')).map((name) => readFileSync(join(server.stateDir, 'snapshots', 'meta', name), 'utf8')),
  ].join('\n');
  expect(everything).not.toContain(pg.password);
  expect(everything).toContain('warehouse');
});

test('the snapshot store survives a server restart', async () => {
  const r = await newReport();
  expect((await r.run('typed')).status).toBe('ok');
  expect((await r.run('prices')).status).toBe('ok');
  const [snapshot] = await r.snapshotsOf('typed');
  const pin = pinOf(r.viewer, 'prices');
  r.viewer.destroy();
  r.editor.destroy();
  await server.stop();
  server = await server.restart();
  r.viewer = await connectNotebook(server, r.path, { token: r.viewerToken });
  r.editor = await connectNotebook(server, r.path);
  expect((await (await server.api('GET', `/api/snapshots/${snapshot.id}`)).json()).rows).toBe(3);
  expect((await r.snapshotsOf('typed')).map((s) => s.id)).toEqual([snapshot.id]);
  expect(pinOf(r.viewer, 'prices')).toBe(pin);
  await pg.query(`UPDATE ${r.prices} SET price = 0`);
  expect((await r.run('prices')).status).toBe('ok');
  expect(queryState(r.viewer, 'prices')).toMatchObject({ choice: 'pinned', snapshot: { id: pin } });
  await r.run('show-prices');
  expect(await printedJSON(r.viewer, 'show-prices')).toEqual([100, 200]);
  expect(stdoutOf(r.viewer, 'show-prices')).not.toContain('0, 0');
});

test('live runs on unchanged data leave one snapshot with every fetch on it; changed data makes a new one', async () => {
  await pg.query("CREATE TABLE steady (id integer, v text); INSERT INTO steady VALUES (1, 'a'), (2, 'b')");
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
      return (
        (await response.json()) as {
          snapshots: { id: string; fetchCount: number; fetches: { runId: string; finishedAt: number }[]; finishedAt: number; runId: string }[];
        }
      ).snapshots;
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

    await pg.query("UPDATE steady SET v = 'c' WHERE id = 2");
    const changed = await runLive();
    const [newest, kept] = await list();
    expect(newest).toMatchObject({ fetchCount: 1, runId: changed.id });
    expect(newest.id).not.toBe(one.id);
    expect(kept).toMatchObject({ id: one.id, fetchCount: 3 });
  } finally {
    client.destroy();
  }
});
