// Published reports and the reader role: publishing a run gives a reader link whose token
// reaches that report (markdown and outputs, code hidden) and nothing else: not the notebook,
// its room, its records, its snapshots or its kernel, nor another report.

import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Report } from '../../common/api';
import { connectNotebook, type NotebookClient } from '../helpers/clients';
import { makeNotebook } from '../helpers/notebooks';
import { openRaw, roomUrl } from '../helpers/raw-socket';
import { removeRoot, startTandem, type TandemProcess } from '../helpers/tandem';
import { startJob, waitForJob } from './support';

let server: TandemProcess;
let editor: NotebookClient;
let viewerToken: string;
const PATH = 'weekly.ipynb';
const CODE = "total = 6 * 7\nprint(f'Total this week: {total}')";

beforeAll(async () => {
  server = await startTandem({ args: ['--warm-pool', '0'] });
  const content = makeNotebook([
    { id: 'title', type: 'markdown', source: '# Weekly sales\n\nThe numbers **this** week.' },
    { id: 'sum', source: CODE },
  ]);
  await server.api('PUT', `/api/contents/${PATH}`, { type: 'notebook', format: 'json', content });
  viewerToken = (await (await server.api('POST', '/api/shares', { path: PATH, role: 'viewer' })).json()).token;
  editor = await connectNotebook(server, PATH);
});

afterAll(async () => {
  editor?.destroy();
  await server?.stop();
  if (server) removeRoot(server.root);
});

async function publishedRun(): Promise<{ id: string; url: string; token: string }> {
  const id = (await waitForJob(server, await startJob(server, editor.fileId, { mode: 'live' }))).id;
  const response = await server.api('POST', `/api/jobs/${id}/publish`, {});
  expect(response.status).toBe(201);
  const { url, token } = await response.json();
  return { id, url, token };
}

test('publishing a run gives a reader link to a report of its markdown and outputs, with the code hidden', async () => {
  const { id, url, token } = await publishedRun();
  expect(url).toBe(`${server.base}/reports/${id}?token=${token}`);

  const response = await server.api('GET', `/api/reports/${id}`, undefined, token);
  expect(response.status).toBe(200);
  const report = (await response.json()) as Report;
  expect(report).toMatchObject({ id, title: PATH, mode: 'live', showCode: false, parameters: {} });
  expect(report.dataFetchedAt).toEqual(expect.any(Number));
  expect(report.cells).toEqual([
    { id: 'title', cellType: 'markdown', source: '# Weekly sales\n\nThe numbers **this** week.', outputs: [], executionCount: null },
    { id: 'sum', cellType: 'code', source: null, outputs: [{ output_type: 'stream', name: 'stdout', text: 'Total this week: 42\n' }], executionCount: 1 },
  ]);
  expect(JSON.stringify(report)).not.toContain('6 * 7');

  // The page itself is the client, served for the report's address.
  const page = await fetch(url);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toContain('text/html');

  // Whoever may view the notebook may read its reports too; the reader is a reader.
  expect((await server.api('GET', `/api/reports/${id}`, undefined, viewerToken)).status).toBe(200);
  const me = await (await server.api('GET', '/api/me', undefined, token)).json();
  expect(me).toMatchObject({ role: 'reader', roles: ['reader'], share: { role: 'reader', path: null, report: id } });
});

test("a reader's token reaches nothing but its report", async () => {
  const { id, token } = await publishedRun();
  const other = await publishedRun();
  const refused = async (method: string, path: string, body?: unknown) => {
    const response = await server.api(method, path, body, token);
    expect([403, 404], `${method} ${path}`).toContain(response.status);
  };
  const fileId = editor.fileId;
  await refused('GET', `/api/reports/${other.id}`);
  await refused('GET', `/api/jobs/${id}`);
  // The run's own page shows its code: not the reader's either.
  await refused('GET', `/api/jobs/${id}/view`);
  await refused('POST', `/api/jobs/${id}/publish`, {});
  await refused('POST', `/api/notebooks/${fileId}/jobs`, { mode: 'live' });
  await refused('GET', `/api/notebooks/${fileId}/jobs`);
  await refused('GET', `/api/contents/${PATH}`);
  await refused('GET', '/api/contents');
  await refused('PUT', `/api/collaboration/session/${PATH}`, { format: 'json', type: 'notebook' });
  await refused('GET', `/api/snapshots?notebook=${fileId}`);
  await refused('POST', `/api/notebooks/${fileId}/execute`, { cellIds: ['sum'] });
  await refused('GET', `/api/notebooks/${fileId}/environment`);
  await refused('POST', '/api/shares', { path: PATH, role: 'viewer' });
  // The kernel API shows it no kernel and no session.
  const kernels = await server.api('GET', '/api/kernels', undefined, token);
  if (kernels.status === 200) expect(await kernels.json()).toEqual([]);
  else expect([403, 404]).toContain(kernels.status);
  const sessions = await server.api('GET', '/api/sessions', undefined, token);
  if (sessions.status === 200) expect(await sessions.json()).toEqual([]);
  else expect([403, 404]).toContain(sessions.status);
  // Nor the room.
  const sessionId = (await (await server.api('PUT', `/api/collaboration/session/${PATH}`, { format: 'json', type: 'notebook' })).json()).sessionId;
  await expect(openRaw(roomUrl(server, fileId, sessionId, token))).rejects.toThrow(/upgrade refused: 40[34]/);
});

test('only an editor publishes, only a successful run, and a report nobody published does not exist', async () => {
  const id = (await waitForJob(server, await startJob(server, editor.fileId, { mode: 'live' }))).id;
  expect((await server.api('POST', `/api/jobs/${id}/publish`, {}, viewerToken)).status).toBe(403);
  expect((await server.api('GET', `/api/reports/${id}`)).status).toBe(404);
  expect((await server.api('POST', '/api/jobs/no-such-job/publish', {})).status).toBe(404);
  // Any ended run opens as a page for whoever may view its notebook, code included, published or not.
  const view = await server.api('GET', `/api/jobs/${id}/view`, undefined, viewerToken);
  expect(view.status).toBe(200);
  expect((await view.json()).cells.some((cell: { source: string | null }) => cell.source !== null)).toBe(true);
  expect((await server.api('GET', '/api/jobs/no-such-job/view')).status).toBe(404);

  await server.api('PUT', '/api/contents/broken.ipynb', { type: 'notebook', format: 'json', content: makeNotebook([{ id: 'x', source: '1/0' }]) });
  const broken = await connectNotebook(server, 'broken.ipynb');
  try {
    const failed = await waitForJob(server, await startJob(server, broken.fileId, { mode: 'live' }));
    const response = await server.api('POST', `/api/jobs/${failed.id}/publish`, {});
    expect(response.status).toBe(409);
    expect((await response.json()).message).toBe('Only a job that ran every cell can be published; it ended failed');
  } finally {
    broken.destroy();
  }
});
