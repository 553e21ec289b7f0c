// Jobs cannot exhaust the server: at most --max-jobs run at once (each has a kernel of its
// own) and later ones wait, queued; one person may have at most ten queued or running, and
// the eleventh is refused with a clear 429.

import { afterAll, beforeAll, expect, test } from 'vitest';
import type { JobRecord } from '../../common/api';
import { makeNotebook } from '../helpers/notebooks';
import { removeRoot, startTandem, type TandemProcess } from '../helpers/tandem';
import { startJob, waitForJob } from './support';

let server: TandemProcess;
let fileId: string;

beforeAll(async () => {
  server = await startTandem({ args: ['--warm-pool', '0', '--max-jobs', '1'] });
  await server.api('PUT', '/api/contents/slow.ipynb', {
    type: 'notebook',
    format: 'json',
    content: makeNotebook([{ id: 's', source: 'import time\ntime.sleep(1.5)\nprint("done")' }]),
  });
  fileId = (await (await server.api('PUT', '/api/collaboration/session/slow.ipynb', { format: 'json', type: 'notebook' })).json()).fileId;
});

afterAll(async () => {
  await server?.stop();
  if (server) removeRoot(server.root);
});

async function statusOf(id: string): Promise<JobRecord['status']> {
  return ((await (await server.api('GET', `/api/jobs/${id}`)).json()) as JobRecord).status;
}

test('with --max-jobs 1 a second job waits, queued, until the first has ended; both run', async () => {
  const first = await startJob(server, fileId, {});
  const second = await startJob(server, fileId, {});
  await expect.poll(() => statusOf(first), { timeout: 30_000 }).toBe('running');
  expect(await statusOf(second)).toBe('queued');
  expect((await waitForJob(server, first)).status).toBe('ok');
  const record = await waitForJob(server, second);
  expect(record.status).toBe('ok');
  // It started only once the first had finished.
  expect(record.startedAt!).toBeGreaterThanOrEqual((await waitForJob(server, first)).finishedAt!);
});

test('one person may have ten jobs queued or running; the eleventh is refused, and cancelling frees the places', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) ids.push(await startJob(server, fileId, {}));
  const refused = await server.api('POST', `/api/notebooks/${fileId}/jobs`, {});
  expect(refused.status).toBe(429);
  const body = await refused.json();
  expect(body.reason).toBe('too_many_jobs');
  expect(body.message).toMatch(/at most 10/);
  for (const id of ids) await server.api('POST', `/api/jobs/${id}/cancel`);
  const ended = await Promise.all(ids.map((id) => waitForJob(server, id)));
  expect(ended.map((record) => record.status)).toEqual(Array(10).fill('cancelled'));
  expect(await startJob(server, fileId, {})).toBeTruthy();
});
