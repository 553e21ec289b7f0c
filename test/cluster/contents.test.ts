// The contents API on an open notebook, asked of a replica that does not own it: it answers
// with the live document (the owner's), not with the file as last saved, and a save merges
// into the room like any save instead of writing over the file behind the owner's back.
// Saves are slow here (30 s), so the file on disk lags the document for the whole test.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ownerPort } from '../../bench/lib/cluster-owner';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { makeNotebook } from '../helpers/notebooks';

let cluster: TestCluster;
let redis: Redis;
const clients: NotebookClient[] = [];

beforeAll(async () => {
  cluster = await startCluster(2, { args: ['--save-delay', '30'] });
  redis = new Redis(cluster.redis.url);
}, 120_000);

afterAll(async () => {
  for (const client of clients) client.destroy();
  redis?.disconnect();
  await cluster?.stop();
});

function sources(notebook: { cells: { source: string | string[] }[] }): string[] {
  return notebook.cells.map((cell) => (Array.isArray(cell.source) ? cell.source.join('') : cell.source));
}

test('a replica that does not own an open notebook serves its live contents, and merges a save into it', async () => {
  cluster.writeNotebook('live.ipynb', [{ id: 'l1', source: 'as saved' }]);
  const [first, second] = cluster.replicas;
  const editor = await connectNotebook(first, 'live.ipynb');
  clients.push(editor);
  const owner = await ownerPort(redis, editor.fileId);
  const other = owner === first.port ? second : first;
  expect(owner).toBeDefined();

  editor.notebook.getCell(0).setSource('typed, not saved yet');
  await eventually(async () => {
    const model = await (await other.api('GET', '/api/contents/live.ipynb?content=1')).json();
    expect(sources(model.content)).toEqual(['typed, not saved yet']);
  });
  expect(sources(JSON.parse(readFileSync(join(cluster.root, 'live.ipynb'), 'utf8')))).toEqual(['as saved']);

  const saved = await other.api('PUT', '/api/contents/live.ipynb', {
    type: 'notebook',
    format: 'json',
    content: makeNotebook([{ id: 'l1', source: 'saved through the other replica' }]),
  });
  expect(saved.status).toBe(200);
  // Merged into the room: the collaborator sees it at once.
  await eventually(() => expect(editor.notebook.getCell(0).getSource()).toBe('saved through the other replica'));
}, 60_000);
