// The reproducibility check: Reproduce re-runs a record with its parameters and data, and
// ends with a cell-by-cell verdict against it: identical, changed (with the difference), or
// failed. Cells tagged `volatile` only have to run.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { JobRecord } from '../../common/api';
import { connectNotebook, type NotebookClient } from '../helpers/clients';
import { makeNotebook } from '../helpers/notebooks';
import { removeRoot, startTandem, type TandemProcess } from '../helpers/tandem';
import { printed, startJob, waitForJob } from './support';

let server: TandemProcess;
let client: NotebookClient;

async function writeData(text: string): Promise<void> {
  const response = await server.api('PUT', '/api/contents/data.txt', { type: 'file', format: 'text', content: text });
  expect(response.ok).toBe(true);
}

async function reproduce(id: string): Promise<JobRecord> {
  const response = await server.api('POST', `/api/jobs/${id}/reproduce`);
  expect(response.status).toBe(201);
  return waitForJob(server, (await response.json()).id);
}

beforeAll(async () => {
  server = await startTandem({ args: ['--warm-pool', '0'] });
  const notebook = makeNotebook([
    { id: 'params', source: 'n = 1' },
    { id: 'show', source: 'print(n * 2)' },
    { id: 'read', source: "print(open('data.txt').read())" },
    { id: 'clock', source: 'import random\nprint(random.random())' },
  ]) as { cells: { metadata: Record<string, unknown> }[] };
  notebook.cells[0]!.metadata = { tags: ['parameters'] };
  notebook.cells[3]!.metadata = { tags: ['volatile'] };
  await writeData('alpha');
  await server.api('PUT', '/api/contents/analysis.ipynb', { type: 'notebook', format: 'json', content: notebook });
  client = await connectNotebook(server, 'analysis.ipynb');
});

afterAll(async () => {
  client?.destroy();
  await server?.stop();
  if (server) removeRoot(server.root);
});

test('reproducing a run reports every cell identical, then names what changed, then what could not run', async () => {
  const original = await waitForJob(server, await startJob(server, client.fileId, { mode: 'live', parameters: { n: 3 } }));
  expect(original.status).toBe('ok');
  expect(original.reproduces).toBeNull();

  const same = await reproduce(original.id);
  expect(same).toMatchObject({ status: 'ok', reproduces: original.id, parameters: { n: 3 }, environmentChange: null });
  expect(printed(same, 'show')).toBe('6\n');
  expect(same.diff).toEqual([
    { cellId: 'params', status: 'identical' },
    { cellId: 'show', status: 'identical' },
    { cellId: 'read', status: 'identical' },
    { cellId: 'clock', status: 'identical', volatile: true },
  ]);
  // The volatile cell's output did change; it is not compared.
  expect(printed(same, 'clock')).not.toBe(printed(original, 'clock'));

  await writeData('beta');
  const changed = await reproduce(original.id);
  const read = changed.diff!.find((d) => d.cellId === 'read')!;
  expect(read.status).toBe('changed');
  expect(read.difference).toContain('-alpha');
  expect(read.difference).toContain('+beta');
  expect(changed.diff!.filter((d) => d.status === 'identical').map((d) => d.cellId)).toEqual(['params', 'show', 'clock']);

  await server.api('DELETE', '/api/contents/data.txt');
  const failed = await reproduce(original.id);
  expect(failed.status).toBe('failed');
  expect(failed.diff).toEqual([
    { cellId: 'params', status: 'identical' },
    { cellId: 'show', status: 'identical' },
    { cellId: 'read', status: 'failed', message: "FileNotFoundError: [Errno 2] No such file or directory: 'data.txt'" },
    { cellId: 'clock', status: 'failed', message: 'The cell did not run: the run stopped before it' },
  ]);
});

test('reproduce refuses what it cannot re-run', async () => {
  expect((await server.api('POST', '/api/jobs/no-such-job/reproduce')).status).toBe(404);
  const viewer = (await (await server.api('POST', '/api/shares', { path: 'analysis.ipynb', role: 'viewer' })).json()).token;
  const id = (await waitForJob(server, await startJob(server, client.fileId, { mode: 'live' }))).id;
  expect((await server.api('POST', `/api/jobs/${id}/reproduce`, undefined, viewer)).status).toBe(403);
});

test('a reproduction in another environment than the record’s says so, and names what differs', async () => {
  await writeData('alpha');
  const original = await waitForJob(server, await startJob(server, client.fileId, { mode: 'live', parameters: { n: 2 } }));
  expect(original.status).toBe('ok');
  expect(original.environmentDetail?.python).toMatch(/^3\.\d+\.\d+/);
  // The record as an older server would have left it: another environment, with another
  // Python, a package since removed and one at another version.
  const file = join(server.stateDir, 'jobs', original.id, 'record.json');
  const stored = JSON.parse(readFileSync(file, 'utf8'));
  const actual = original.environmentDetail!;
  const tandemHelper = actual.packages[0];
  stored.environment = 'an-older-environment';
  stored.environmentDetail = {
    python: '3.9.2',
    packages: [...(tandemHelper ? [{ ...tandemHelper, version: '0.0.1' }] : []), { name: 'left-pad', version: '1.3.0' }],
  };
  writeFileSync(file, JSON.stringify(stored));

  const again = await reproduce(original.id);
  expect(again.environmentChange?.from).toBe('an-older-environment');
  expect(again.environmentChange?.to).toBe(original.environment);
  expect(again.environmentChange?.changes).toContain(`Python 3.9.2 → ${actual.python}`);
  expect(again.environmentChange?.changes).toContain('left-pad 1.3.0 removed');
  if (tandemHelper) expect(again.environmentChange?.changes).toContain(`${tandemHelper.name} 0.0.1 → ${tandemHelper.version}`);
  // The summary a Runs panel lists says it too.
  const runs = await (await server.api('GET', `/api/notebooks/${client.fileId}/jobs`)).json();
  expect(runs.find((run: { id: string }) => run.id === again.id).reproduction.environmentChanged).toBe(true);
});
