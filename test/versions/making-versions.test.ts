// Versions are made after a pause in editing and on demand, and each names who changed the
// notebook since the one before.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { eventually } from '../helpers/clients';
import { makeNotebook } from '../helpers/notebooks';
import { connect, moreVersions, saveVersion, seed, shareLink, startVersioned, versionsOf } from './support';

test('a pause in editing makes a version that names everyone who edited since the last one', async () => {
  const server = await startVersioned();
  await seed(server, 'auto.ipynb', [{ id: 'one', source: 'x = 1' }]);
  const ada = await shareLink(server, 'auto.ipynb', 'editor');
  const bob = await shareLink(server, 'auto.ipynb', 'editor');
  const adaClient = await connect(server, 'auto.ipynb', ada.token);
  const bobClient = await connect(server, 'auto.ipynb', bob.token);
  const before = (await versionsOf(server, adaClient.fileId)).length;

  // Both within far less than the pause, so one version holds both.
  adaClient.notebook.getCell(0).updateSource(5, 5, ' # ada');
  bobClient.notebook.getCell(0).updateSource(0, 0, '# bob\n');
  await eventually(() => expect(bobClient.notebook.getCell(0).getSource()).toBe('# bob\nx = 1 # ada'));

  const versions = await moreVersions(server, adaClient.fileId, before);
  const newest = versions[0];
  expect(newest.label).toBeNull();
  expect(newest.reason).toBe('auto');
  expect(newest.authors.map((a: { username: string }) => a.username).sort()).toEqual([ada.username, bob.username].sort());
  expect(Date.parse(newest.createdAt)).not.toBeNaN();

  // The next version names only who edited after this one.
  adaClient.notebook.getCell(0).updateSource(0, 0, '# again\n');
  const later = await moreVersions(server, adaClient.fileId, versions.length);
  expect(later[0].authors.map((a: { username: string }) => a.username)).toEqual([ada.username]);
});

test('a version saved with a label is listed first, and its content is the notebook as it was', async () => {
  const server = await startVersioned();
  await seed(server, 'labelled.ipynb', [
    { id: 'a', source: 'first = 1' },
    { id: 'b', type: 'markdown', source: '# Title' },
  ]);
  const client = await connect(server, 'labelled.ipynb');
  const id = await saveVersion(server, client.fileId, 'before the big change');
  client.notebook.getCell(0).updateSource(0, 9, 'first = 100');

  const versions = await versionsOf(server, client.fileId);
  expect(versions[0]).toMatchObject({ id, label: 'before the big change', reason: 'manual' });
  expect(Object.keys(versions[0]).sort()).toEqual(['authors', 'createdAt', 'id', 'label', 'reason']);

  const response = await server.api('GET', `/api/notebooks/${client.fileId}/versions/${id}`);
  expect(response.status).toBe(200);
  const { content } = await response.json();
  expect(content.nbformat).toBe(4);
  expect(content.cells.map((c: { id: string; source: string }) => [c.id, c.source])).toEqual([
    ['a', 'first = 1'],
    ['b', '# Title'],
  ]);
});

test('a version without a label can be saved with an empty body', async () => {
  const server = await startVersioned();
  await seed(server, 'plain.ipynb', [{ id: 'a', source: '1' }]);
  const client = await connect(server, 'plain.ipynb');
  const response = await server.api('POST', `/api/notebooks/${client.fileId}/versions`);
  expect(response.status).toBe(201);
  const { id } = await response.json();
  expect((await versionsOf(server, client.fileId))[0]).toMatchObject({ id, label: null });
});

test('an edit made to the file outside Tandem is merged only after the notebook before it is kept as a version', async () => {
  const server = await startVersioned();
  await seed(server, 'outside.ipynb', [{ id: 'a', source: 'kept in the room' }]);
  const client = await connect(server, 'outside.ipynb');
  client.notebook.getCell(0).updateSource(0, 0, '# typed\n');
  await eventually(() => expect(client.notebook.getCell(0).getSource()).toBe('# typed\nkept in the room'));
  const before = (await versionsOf(server, client.fileId)).length;
  writeFileSync(join(server.root, 'outside.ipynb'), JSON.stringify(makeNotebook([{ id: 'a', source: 'rewritten outside' }])));
  await eventually(() => expect(client.notebook.getCell(0).getSource()).toBe('rewritten outside'));

  const versions = await versionsOf(server, client.fileId);
  const kept = versions.slice(0, versions.length - before).find((v: { reason: string }) => v.reason === 'before-outside-edit');
  expect(kept).toBeDefined();
  const { content } = await (await server.api('GET', `/api/notebooks/${client.fileId}/versions/${kept.id}`)).json();
  expect(content.cells[0].source).toBe('# typed\nkept in the room');
});
