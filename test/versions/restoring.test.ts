// A restore is a new change through the CRDT: collaborators see it live, and the notebook as it
// stood before is kept as a version, so the restore itself can be undone.

import { expect, test } from 'vitest';
import { eventually } from '../helpers/clients';
import type { Json, TandemProcess } from '../helpers/tandem';
import { connect, saveVersion, seed, sources, startVersioned, versionsOf } from './support';

async function restore(server: TandemProcess, fileId: string, id: string, body: Json = {}, token?: string) {
  return server.api('POST', `/api/notebooks/${fileId}/versions/${id}/restore`, body, token);
}

test('restoring one deleted cell brings it back in place, live for a collaborator, and leaves the other cells alone', async () => {
  const server = await startVersioned();
  await seed(server, 'one-cell.ipynb', [
    { id: 'intro', type: 'markdown', source: '# Intro' },
    { id: 'load', source: 'df = load()' },
    { id: 'plot', source: 'df.plot()' },
  ]);
  const editor = await connect(server, 'one-cell.ipynb');
  const watcher = await connect(server, 'one-cell.ipynb');
  const id = await saveVersion(server, editor.fileId, 'all three');

  editor.notebook.deleteCell(1);
  editor.notebook.getCell(1).updateSource(0, 9, 'df.plot(kind="bar")');
  await eventually(() => expect(sources(watcher)).toEqual(['# Intro', 'df.plot(kind="bar")']));

  const response = await restore(server, editor.fileId, id, { cellIds: ['load'] });
  expect(response.status).toBe(200);
  await eventually(() => expect(sources(watcher)).toEqual(['# Intro', 'df = load()', 'df.plot(kind="bar")']));
  expect(watcher.notebook.getCell(1).id).toBe('load');
  expect(sources(editor)).toEqual(sources(watcher));
});

test('restoring the whole notebook is seen live, and restoring the version made before it undoes it', async () => {
  const server = await startVersioned();
  await seed(server, 'whole.ipynb', [
    { id: 'a', source: 'a = 1' },
    { id: 'b', source: 'b = 2' },
  ]);
  const editor = await connect(server, 'whole.ipynb');
  const watcher = await connect(server, 'whole.ipynb');
  const original = await saveVersion(server, editor.fileId, 'original');

  editor.notebook.getCell(0).updateSource(0, 5, 'a = 10');
  editor.notebook.insertCell(2, { cell_type: 'code', source: 'c = 3' });
  await eventually(() => expect(sources(watcher)).toEqual(['a = 10', 'b = 2', 'c = 3']));

  const response = await restore(server, editor.fileId, original);
  expect(response.status).toBe(200);
  const { before } = await response.json();
  await eventually(() => expect(sources(watcher)).toEqual(['a = 1', 'b = 2']));

  const versions = await versionsOf(server, editor.fileId);
  expect(versions.find((v: { id: string }) => v.id === before)).toMatchObject({ reason: 'before-restore' });

  // Undo: the version kept before the restore brings back what the restore replaced.
  expect((await restore(server, editor.fileId, before)).status).toBe(200);
  await eventually(() => expect(sources(watcher)).toEqual(['a = 10', 'b = 2', 'c = 3']));
  await eventually(() => expect(sources(editor)).toEqual(['a = 10', 'b = 2', 'c = 3']));
});

test('restoring a cell the version does not have is 404 and changes nothing', async () => {
  const server = await startVersioned();
  await seed(server, 'missing-cell.ipynb', [{ id: 'a', source: 'a = 1' }]);
  const editor = await connect(server, 'missing-cell.ipynb');
  const id = await saveVersion(server, editor.fileId);
  const count = (await versionsOf(server, editor.fileId)).length;
  const response = await restore(server, editor.fileId, id, { cellIds: ['nowhere'] });
  expect(response.status).toBe(404);
  expect((await response.json()).message).toMatch(/no cell nowhere/);
  expect(await versionsOf(server, editor.fileId)).toHaveLength(count);
  expect(sources(editor)).toEqual(['a = 1']);
});
