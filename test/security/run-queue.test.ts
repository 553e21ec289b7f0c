// A runner cannot queue runs without end: each is a record in the document. One person may
// have 500 waiting in a notebook, the notebook 1000, and past that a request is refused whole
// with 429 and a message that says what to do.

import { afterAll, beforeAll, expect, test } from 'vitest';
import { openSession } from '../helpers/clients';
import { makeNotebook } from '../helpers/notebooks';
import { startTandem, type TandemProcess } from '../helpers/tandem';

let server: TandemProcess;
let fileId: string;
const runners: string[] = [];

beforeAll(async () => {
  server = await startTandem();
  await server.api('PUT', '/api/contents/q.ipynb', {
    type: 'notebook',
    format: 'json',
    content: makeNotebook([
      { id: 'sleep', source: 'import time\ntime.sleep(120)' },
      { id: 'quick', source: '1' },
    ]),
  });
  for (let i = 0; i < 3; i++) {
    runners.push((await (await server.api('POST', '/api/shares', { path: 'q.ipynb', role: 'runner' })).json()).token);
  }
  fileId = (await openSession(server, 'q.ipynb')).fileId;
});
afterAll(async () => {
  await server.api('POST', `/api/notebooks/${fileId}/shutdown`);
  await server.stop();
});

const run = (cellIds: string[], token: string) => server.api('POST', `/api/notebooks/${fileId}/execute`, { cellIds }, token);

test('the run queue is capped per person and per notebook, with a clear 429', async () => {
  // More than one person may have waiting, in one request: refused whole.
  const tooMany = await run(Array(501).fill('quick'), runners[0]);
  expect(tooMany.status).toBe(429);
  const refusal = await tooMany.json();
  expect(refusal.reason).toBe('too_many_runs');
  expect(refusal.message).toMatch(/at most 500/);
  // The first run sleeps, so everything after it waits. That 500 fit shows the refused
  // request queued nothing.
  expect((await run(['sleep', ...Array(499).fill('quick')], runners[0])).status).toBe(202);
  const over = await run(['quick'], runners[0]);
  expect(over.status).toBe(429);
  expect((await over.json()).message).toMatch(/You already have 500 runs/);

  // Others still may, up to the notebook's cap.
  expect((await run(Array(500).fill('quick'), runners[1])).status).toBe(202);
  const full = await run(['quick'], runners[2]);
  expect(full.status).toBe(429);
  expect((await full.json()).message).toMatch(/This notebook already has 1000 runs/);
  // The owner is a person too: the notebook's cap holds for everyone.
  expect((await run(['quick'], server.token)).status).toBe(429);
});
