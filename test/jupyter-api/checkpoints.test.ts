// JupyterLab's "Revert to checkpoint", through @jupyterlab/services' ContentsManager: a
// checkpoint is created, listed and restored, and restoring a notebook open in a room reverts
// the live document that everyone sees.

import { ContentsManager } from '@jupyterlab/services';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type * as Y from 'yjs';
import { connectNotebook, eventually } from '../helpers/clients';
import { jupyterSettings } from '../helpers/jupyter';
import { makeNotebook } from '../helpers/notebooks';
import { startTandem, type TandemProcess } from '../helpers/tandem';

let server: TandemProcess;
let contents: ContentsManager;

beforeAll(async () => {
  server = await startTandem();
  contents = new ContentsManager({ serverSettings: jupyterSettings(server) });
  await server.api('PUT', '/api/contents/kept.ipynb', { type: 'notebook', format: 'json', content: makeNotebook([{ id: 'a', source: 'before = 1' }]) });
  await server.api('PUT', '/api/contents/notes.txt', { type: 'file', format: 'text', content: 'first draft' });
});
afterAll(async () => {
  contents?.dispose();
  await server?.stop();
});

test('a checkpoint is created, listed and restored into the open notebook', async () => {
  expect(await contents.listCheckpoints('kept.ipynb')).toEqual([]);
  const created = await contents.createCheckpoint('kept.ipynb');
  expect(created.id).toBe('checkpoint');
  const listed = await contents.listCheckpoints('kept.ipynb');
  expect(listed.map((c) => c.id)).toEqual(['checkpoint']);

  const editor = await connectNotebook(server, 'kept.ipynb');
  try {
    const source = (editor.doc.getArray('cells').get(0) as Y.Map<unknown>).get('source') as Y.Text;
    source.delete(0, source.length);
    source.insert(0, 'after = 2');
    await eventually(async () => {
      const model = await contents.get('kept.ipynb');
      expect((model.content as { cells: { source: string }[] }).cells[0].source).toBe('after = 2');
    });
    await contents.restoreCheckpoint('kept.ipynb', created.id);
    await eventually(() => expect(source.toString()).toBe('before = 1'));
  } finally {
    editor.destroy();
  }
  await contents.deleteCheckpoint('kept.ipynb', created.id);
  expect(await contents.listCheckpoints('kept.ipynb')).toEqual([]);
});

test('a text file reverts to its checkpoint', async () => {
  await contents.createCheckpoint('notes.txt');
  await contents.save('notes.txt', { type: 'file', format: 'text', content: 'second draft' });
  await contents.restoreCheckpoint('notes.txt', 'checkpoint');
  expect((await contents.get('notes.txt')).content).toBe('first draft');
});

test('a viewer lists checkpoints but may not restore them; unknown ones are 404', async () => {
  const viewer = (await (await server.api('POST', '/api/shares', { path: 'kept.ipynb', role: 'viewer' })).json()).token as string;
  expect((await server.api('GET', '/api/contents/kept.ipynb/checkpoints', undefined, viewer)).status).toBe(200);
  expect((await server.api('POST', '/api/contents/kept.ipynb/checkpoints', undefined, viewer)).status).toBe(403);
  expect((await server.api('POST', '/api/contents/kept.ipynb/checkpoints/nope')).status).toBe(404);
  expect((await server.api('GET', '/api/contents/missing.ipynb/checkpoints')).status).toBe(404);
});
