// Headless jobs through the HTTP API, on a real server and real kernels: a parameterised run
// leaves the live document and the interactive kernel alone, everyone on the notebook sees its
// progress, a failing cell ends it with the cell and error named, cancel works, and bad input
// gets a clear error.

import { afterAll, beforeAll, expect, test } from 'vitest';
import type { JobProgress } from '../../common/doc-schema';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { execute, outputsOf, waitForRun } from '../helpers/execution';
import { makeNotebook } from '../helpers/notebooks';
import { removeRoot, startTandem, type TandemProcess } from '../helpers/tandem';
import { executedCells, printed, startJob, waitForJob } from './support';

let server: TandemProcess;
let editor: NotebookClient;
let viewer: NotebookClient;
let fileId: string;
let viewerToken: string;
const PATH = 'params.ipynb';

function jobOf(client: NotebookClient, id: string): JobProgress | undefined {
  return client.doc.getMap<JobProgress>('jobs').get(id);
}

function stdoutOf(client: NotebookClient, cellId: string): string {
  return outputsOf(client, cellId)
    .filter((o) => o.output_type === 'stream' && o.name === 'stdout')
    .map((o) => String(o.text))
    .join('');
}

beforeAll(async () => {
  server = await startTandem({ args: ['--warm-pool', '0'] });
  const notebook = makeNotebook([
    { id: 'params', source: 'n = 1\nlabel = "default"' },
    { id: 'show', source: "print(f'n = {n}, label = {label}')" },
    // Counts the runs of this cell in a kernel.
    { id: 'mark', source: "runs = globals().get('runs', 0) + 1" },
    { id: 'state', source: "print('n' in globals(), runs)" },
  ]);
  (notebook.cells as { id: string; metadata: Record<string, unknown> }[])[0]!.metadata = { tags: ['parameters'] };
  await server.api('PUT', `/api/contents/${PATH}`, { type: 'notebook', format: 'json', content: notebook });
  viewerToken = (await (await server.api('POST', '/api/shares', { path: PATH, role: 'viewer' })).json()).token;
  editor = await connectNotebook(server, PATH);
  viewer = await connectNotebook(server, PATH, { token: viewerToken });
  fileId = editor.fileId;
});

afterAll(async () => {
  editor?.destroy();
  viewer?.destroy();
  await server?.stop();
  if (server) removeRoot(server.root);
});

test('a parameterised job runs headless: its record shows n = 5, and the live document and the interactive kernel are untouched', async () => {
  // State in the interactive kernel that a job must neither see nor change.
  const [setup] = await execute(server, fileId, ['mark']);
  await waitForRun(editor, setup!.id);
  const before = JSON.stringify(editor.doc.getArray('cells').toJSON());

  const id = await startJob(server, fileId, { mode: 'reproducible', parameters: { n: 5 } });
  // Everyone on the notebook sees the job, a viewer included.
  await eventually(() => expect(jobOf(viewer, id)?.status).toBe('ok'), 60_000);
  const record = await waitForJob(server, id);

  expect(record.status).toBe('ok');
  expect(record.parameters).toEqual({ n: 5 });
  expect(record.mode).toBe('reproducible');
  expect(record.environment).toEqual(expect.any(String));
  expect(record.startedBy.username).toBeTruthy();
  expect(record.durationMs).toBeGreaterThanOrEqual(0);
  expect(record.failure).toBeNull();
  expect(printed(record, 'show')).toBe('n = 5, label = default\n');
  // papermill's convention: the injected cell right after the parameters cell.
  const cells = executedCells(record);
  expect(cells[1]!.metadata.tags).toEqual(['injected-parameters']);
  expect(cells.map((c) => c.id).filter((c) => !c.startsWith('injected'))).toEqual(['params', 'show', 'mark', 'state']);
  // A fresh kernel: nothing of the interactive session's state (its `runs` would make this 2).
  expect(printed(record, 'state')).toBe('True 1\n');

  // The live document did not change: no outputs for the job's cells, no injected cell.
  expect(JSON.stringify(editor.doc.getArray('cells').toJSON())).toBe(before);
  // The interactive kernel never ran the job's cells: it has no `n`, and ran `mark` once.
  const [check] = await execute(server, fileId, ['state']);
  await waitForRun(editor, check!.id);
  expect(stdoutOf(editor, 'state')).toBe('False 1\n');
});

test('a failing cell ends the job as failed, naming the cell and its error, and the cells after it do not run', async () => {
  const path = 'fails.ipynb';
  await server.api('PUT', `/api/contents/${path}`, {
    type: 'notebook',
    format: 'json',
    content: makeNotebook([
      { id: 'ok', source: "print('first')" },
      { id: 'boom', source: "raise ValueError('no data for that day')" },
      { id: 'after', source: "print('after')" },
    ]),
  });
  const client = await connectNotebook(server, path);
  try {
    const record = await waitForJob(server, await startJob(server, client.fileId, { mode: 'live' }));
    expect(record.status).toBe('failed');
    expect(record.failure).toMatchObject({ cellId: 'boom', cellIndex: 2, ename: 'ValueError', evalue: 'no data for that day' });
    expect(printed(record, 'ok')).toBe('first\n');
    const after = executedCells(record).find((c) => c.id === 'after')!;
    expect(after.execution_count).toBeNull();
    expect(after.outputs).toEqual([]);
    expect(client.doc.getMap<JobProgress>('jobs').get(record.id)).toMatchObject({ status: 'failed', message: 'ValueError: no data for that day' });
  } finally {
    client.destroy();
  }
});

test('a notebook whose environment cannot be prepared ends as a failed job that says why', async () => {
  const notebook = makeNotebook([{ id: 'x', source: "print('never')" }]) as { metadata: Record<string, unknown> };
  notebook.metadata.tandem = { environment: { requirements: 'pandas' } };
  await server.api('PUT', '/api/contents/badenv.ipynb', { type: 'notebook', format: 'json', content: notebook });
  const client = await connectNotebook(server, 'badenv.ipynb');
  try {
    const record = await waitForJob(server, await startJob(server, client.fileId, { mode: 'live' }));
    expect(record.status).toBe('failed');
    expect(record.failure).toMatchObject({ cellId: null, ename: 'JobError' });
    expect(record.failure!.evalue).toMatch(/requirements/);
    expect(executedCells(record)[0]!.execution_count).toBeNull();
  } finally {
    client.destroy();
  }
});

test('a running job can be cancelled, and its record says so', async () => {
  const path = 'slow.ipynb';
  await server.api('PUT', `/api/contents/${path}`, {
    type: 'notebook',
    format: 'json',
    content: makeNotebook([
      { id: 'quick', source: "print('quick')" },
      { id: 'slow', source: 'import time\ntime.sleep(120)' },
    ]),
  });
  const client = await connectNotebook(server, path);
  try {
    const id = await startJob(server, client.fileId, {});
    // The cell being run is visible to everyone on the notebook.
    await eventually(() => expect(jobOf(client, id)).toMatchObject({ status: 'running', cellId: 'slow', cellIndex: 2, cellCount: 2 }), 60_000);
    const cancel = await server.api('POST', `/api/jobs/${id}/cancel`);
    expect(cancel.status).toBe(202);
    const record = await waitForJob(server, id, 30_000);
    expect(record.status).toBe('cancelled');
    expect(printed(record, 'quick')).toBe('quick\n');
    await eventually(() => expect(jobOf(client, id)?.status).toBe('cancelled'));
    // An ended job cannot be cancelled again.
    expect((await server.api('POST', `/api/jobs/${id}/cancel`)).status).toBe(409);
  } finally {
    client.destroy();
  }
});

test('bad input gets a clear error and starts nothing', async () => {
  const jobsBefore = editor.doc.getMap('jobs').size;
  const unknown = await server.api('POST', `/api/notebooks/${fileId}/jobs`, { mode: 'live', parameters: { m: 3 } });
  expect(unknown.status).toBe(400);
  expect((await unknown.json()).message).toBe('Unknown parameter "m". The notebook\'s parameters are: n, label');

  const missing = await server.api('POST', '/api/notebooks/no-such-file-id/jobs', { mode: 'live' });
  expect(missing.status).toBe(404);

  const mode = await server.api('POST', `/api/notebooks/${fileId}/jobs`, { mode: 'sometimes' });
  expect(mode.status).toBe(400);

  // A viewer may read records but not start jobs.
  expect((await server.api('POST', `/api/notebooks/${fileId}/jobs`, { mode: 'live' }, viewerToken)).status).toBe(403);
  expect((await server.api('GET', '/api/jobs/not-a-job')).status).toBe(404);
  expect(editor.doc.getMap('jobs').size).toBe(jobsBefore);
});
