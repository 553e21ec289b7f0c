// The list of a notebook's runs (GET /api/notebooks/{fileId}/jobs), which the Runs panel shows:
// newest first, a running job among them, with who started each, its mode, parameters and
// duration, whether it was published, and for a reproduction how its cells compared. Viewers
// may list; a reader's token and other notebooks' runs stay out.

import { afterAll, beforeAll, expect, test } from 'vitest';
import type { JobSummary } from '../../common/api';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { makeNotebook } from '../helpers/notebooks';
import { removeRoot, startTandem, type TandemProcess } from '../helpers/tandem';
import { startJob, waitForJob } from './support';

let server: TandemProcess;
let editor: NotebookClient;
let viewerToken: string;
const PATH = 'listed.ipynb';

function notebookWith(cells: { id: string; source: string; tags?: string[] }[]): Record<string, unknown> {
  const notebook = makeNotebook(cells);
  (notebook.cells as { metadata: Record<string, unknown> }[]).forEach((cell, i) => {
    if (cells[i]!.tags) cell.metadata = { tags: cells[i]!.tags };
  });
  return notebook;
}

async function list(fileId: string, token: string | null = server.token): Promise<JobSummary[]> {
  const response = await server.api('GET', `/api/notebooks/${fileId}/jobs`, undefined, token);
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}

beforeAll(async () => {
  server = await startTandem({ args: ['--warm-pool', '0'] });
  const content = notebookWith([
    { id: 'params', source: 'n = 1', tags: ['parameters'] },
    { id: 'show', source: "print('n is', n)" },
  ]);
  await server.api('PUT', `/api/contents/${PATH}`, { type: 'notebook', format: 'json', content });
  await server.api('PUT', '/api/contents/other.ipynb', { type: 'notebook', format: 'json', content: makeNotebook([{ id: 'a', source: 'print(1)' }]) });
  viewerToken = (await (await server.api('POST', '/api/shares', { path: PATH, role: 'viewer' })).json()).token;
  editor = await connectNotebook(server, PATH);
});

afterAll(async () => {
  editor?.destroy();
  await server?.stop();
  if (server) removeRoot(server.root);
});

test("a notebook's runs are listed newest first, with who, mode, parameters, duration, publication and a reproduction's tally", async () => {
  const fileId = editor.fileId;
  const other = await connectNotebook(server, 'other.ipynb');
  try {
    await waitForJob(server, await startJob(server, other.fileId, { mode: 'live' }));
  } finally {
    other.destroy();
  }
  const first = await waitForJob(server, await startJob(server, fileId, { mode: 'reproducible', parameters: { n: 5 } }));
  expect(first.status).toBe('ok');
  expect((await server.api('POST', `/api/jobs/${first.id}/publish`, {})).status).toBe(201);
  const reproducedId = (await (await server.api('POST', `/api/jobs/${first.id}/reproduce`)).json()).id as string;
  await waitForJob(server, reproducedId);
  // A job that sleeps is listed while it runs.
  const slow = notebookWith([{ id: 'wait', source: 'import time; time.sleep(30)' }]);
  await server.api('PUT', '/api/contents/slow.ipynb', { type: 'notebook', format: 'json', content: slow });
  const slowClient = await connectNotebook(server, 'slow.ipynb');
  try {
    const running = await startJob(server, slowClient.fileId, { mode: 'live' });
    await eventually(async () => expect((await list(slowClient.fileId)).map((run) => [run.id, run.status])).toEqual([[running, 'running']]), 60_000, 100);
    expect((await server.api('POST', `/api/jobs/${running}/cancel`)).status).toBe(202);
    await waitForJob(server, running);
    expect((await list(slowClient.fileId))[0]).toMatchObject({ id: running, status: 'cancelled' });
  } finally {
    slowClient.destroy();
  }

  const runs = await list(fileId);
  expect(runs.map((run) => run.id)).toEqual([reproducedId, first.id]);
  const [reproduction, original] = runs as [JobSummary, JobSummary];
  expect(original).toMatchObject({
    mode: 'reproducible',
    status: 'ok',
    parameters: { n: 5 },
    startedBy: { username: expect.any(String), name: expect.any(String) },
    reproduces: null,
    reproduction: null,
    dataFetchedAt: null,
  });
  expect(original.durationMs).toBeGreaterThan(0);
  expect(original.publishedAt).toBeGreaterThanOrEqual(original.finishedAt!);
  expect(reproduction).toMatchObject({
    status: 'ok',
    reproduces: first.id,
    publishedAt: null,
    reproduction: { identical: 2, changed: 0, failed: 0, environmentChanged: false },
  });
  // The summary leaves the executed notebook out: that is GET /api/jobs/{id}.
  expect(Object.keys(original)).not.toContain('executed');
});

test('a viewer lists the runs; a reader, an unknown notebook and a bad request do not get them', async () => {
  const fileId = editor.fileId;
  const asViewer = await list(fileId, viewerToken);
  expect(asViewer.length).toBeGreaterThan(0);
  expect(await server.api('GET', `/api/notebooks/${fileId}/jobs`, undefined, null).then((r) => r.status)).toBe(401);
  const someRun = asViewer.find((run) => run.status === 'ok')!;
  const published = await (await server.api('POST', `/api/jobs/${someRun.id}/publish`, {})).json();
  expect([403, 404]).toContain((await server.api('GET', `/api/notebooks/${fileId}/jobs`, undefined, published.token)).status);
  const unknown = await server.api('GET', '/api/notebooks/no-such-file/jobs');
  expect(unknown.status).toBe(404);
  expect((await unknown.json()).message).toMatch(/no-such-file/);
});
