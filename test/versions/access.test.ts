// Viewers browse history; editors restore and save versions. Other notebooks' links reach none
// of it, and an unknown version is 404.

import { expect, test } from 'vitest';
import { connect, saveVersion, seed, shareLink, sources, startVersioned, versionsOf } from './support';

test("a viewer can list and preview versions, but a viewer's restore or save is 403 and changes nothing", async () => {
  const server = await startVersioned();
  await seed(server, 'shared.ipynb', [{ id: 'a', source: 'a = 1' }]);
  const editor = await connect(server, 'shared.ipynb');
  const id = await saveVersion(server, editor.fileId, 'v1');
  editor.notebook.getCell(0).updateSource(0, 5, 'a = 2');
  const viewer = await shareLink(server, 'shared.ipynb', 'viewer');

  const listed = await versionsOf(server, editor.fileId, viewer.token);
  expect(listed.map((v: { id: string }) => v.id)).toContain(id);
  const preview = await server.api('GET', `/api/notebooks/${editor.fileId}/versions/${id}`, undefined, viewer.token);
  expect(preview.status).toBe(200);
  expect((await preview.json()).content.cells[0].source).toBe('a = 1');

  const restore = await server.api('POST', `/api/notebooks/${editor.fileId}/versions/${id}/restore`, {}, viewer.token);
  expect(restore.status).toBe(403);
  const save = await server.api('POST', `/api/notebooks/${editor.fileId}/versions`, { label: 'mine' }, viewer.token);
  expect(save.status).toBe(403);
  expect(sources(editor)).toEqual(['a = 2']);
  expect((await versionsOf(server, editor.fileId)).map((v: { id: string }) => v.id)).toEqual(listed.map((v: { id: string }) => v.id));
});

test('an unknown version id, or one shaped like a path, is 404', async () => {
  const server = await startVersioned();
  await seed(server, 'unknown.ipynb', [{ id: 'a', source: 'a = 1' }]);
  const editor = await connect(server, 'unknown.ipynb');
  for (const id of ['0000000001-ffff', 'nope', '..%2F..%2Findex']) {
    expect((await server.api('GET', `/api/notebooks/${editor.fileId}/versions/${id}`)).status).toBe(404);
    expect((await server.api('POST', `/api/notebooks/${editor.fileId}/versions/${id}/restore`, {})).status).toBe(404);
  }
  expect((await server.api('GET', '/api/notebooks/no-such-notebook/versions')).status).toBe(404);
});

test("a link to another notebook reaches none of this one's history", async () => {
  const server = await startVersioned();
  await seed(server, 'mine.ipynb', [{ id: 'a', source: 'secret = 1' }]);
  await seed(server, 'theirs.ipynb', [{ id: 'b', source: 'b = 1' }]);
  const editor = await connect(server, 'mine.ipynb');
  const id = await saveVersion(server, editor.fileId);
  const other = await shareLink(server, 'theirs.ipynb', 'editor');
  for (const [method, path] of [
    ['GET', `/api/notebooks/${editor.fileId}/versions`],
    ['GET', `/api/notebooks/${editor.fileId}/versions/${id}`],
    ['POST', `/api/notebooks/${editor.fileId}/versions`],
  ] as const) {
    const response = await server.api(method, path, method === 'POST' ? {} : undefined, other.token);
    expect([403, 404]).toContain(response.status);
  }
});

test('a label that is too long is refused with 400', async () => {
  const server = await startVersioned();
  await seed(server, 'bad-label.ipynb', [{ id: 'a', source: '1' }]);
  const editor = await connect(server, 'bad-label.ipynb');
  const count = (await versionsOf(server, editor.fileId)).length;
  expect((await server.api('POST', `/api/notebooks/${editor.fileId}/versions`, { label: 'x'.repeat(1000) })).status).toBe(400);
  expect(await versionsOf(server, editor.fileId)).toHaveLength(count);
});
