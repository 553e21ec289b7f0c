import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { putNotebook } from '../environments/support';
import { connectNotebook, eventually, openSession } from '../helpers/clients';
import { makeNotebook } from '../helpers/notebooks';
import { type ApiResponse, type Json, startTandem, type TandemProcess } from '../helpers/tandem';

let server: TandemProcess;
beforeAll(async () => {
  server = await startTandem();
});
afterAll(async () => {
  await server.stop();
});

const json = async (response: ApiResponse) => {
  const body: Json = await response.json();
  return { status: response.status, body };
};

test('folders list their notebooks, files and subfolders in the Jupyter Server shape', async () => {
  mkdirSync(join(server.root, 'reports'));
  writeFileSync(join(server.root, 'reports', 'notes.txt'), 'hello');
  writeFileSync(join(server.root, 'reports', 'q3.ipynb'), JSON.stringify(makeNotebook([])));
  const { status, body } = await json(await server.api('GET', '/api/contents/reports'));
  expect(status).toBe(200);
  expect(body).toMatchObject({ name: 'reports', path: 'reports', type: 'directory', format: 'json' });
  const entries = body.content.map((m: { name: string; type: string }) => [m.name, m.type]).sort();
  expect(entries).toEqual([
    ['notes.txt', 'file'],
    ['q3.ipynb', 'notebook'],
  ]);
  const root = await json(await server.api('GET', '/api/contents?content=1'));
  expect(root.body.content.map((m: { name: string }) => m.name)).not.toContain('.tandem');
  const text = await json(await server.api('GET', '/api/contents/reports/notes.txt'));
  expect(text.body).toMatchObject({ type: 'file', format: 'text', content: 'hello', mimetype: 'text/plain' });
});

test('new notebooks, copies, renames and deletes work like Jupyter', async () => {
  const created = await json(await server.api('POST', '/api/contents', { type: 'notebook' }));
  expect(created.status).toBe(201);
  expect(created.body.name).toMatch(/^Untitled\d*\.ipynb$/);
  const second = await json(await server.api('POST', '/api/contents', { type: 'notebook' }));
  expect(second.body.name).not.toBe(created.body.name);
  const copy = await json(await server.api('POST', '/api/contents', { copy_from: created.body.path }));
  expect(copy.body.name).toMatch(/-Copy1\.ipynb$/);
  const folder = await json(await server.api('POST', '/api/contents', { type: 'directory' }));
  expect(folder.body.type).toBe('directory');

  const renamed = await json(await server.api('PATCH', `/api/contents/${copy.body.path}`, { path: `${folder.body.path}/moved.ipynb` }));
  expect(renamed.status).toBe(200);
  expect(renamed.body.path).toBe(`${folder.body.path}/moved.ipynb`);
  expect((await server.api('PATCH', `/api/contents/${second.body.path}`, { path: renamed.body.path })).status).toBe(409);
  expect((await server.api('DELETE', `/api/contents/${folder.body.path}`)).status).toBe(400);
  expect((await server.api('DELETE', `/api/contents/${renamed.body.path}`)).status).toBe(204);
  expect((await server.api('DELETE', `/api/contents/${folder.body.path}`)).status).toBe(204);
  expect((await server.api('GET', `/api/contents/${renamed.body.path}`)).status).toBe(404);
});

test('a notebook keeps its fileId, room and share links when it is renamed', async () => {
  await server.api('PUT', '/api/contents/before.ipynb', { type: 'notebook', format: 'json', content: makeNotebook([{ id: 'k', source: 'keep' }]) });
  const session = await openSession(server, 'before.ipynb');
  const share = await (await server.api('POST', '/api/shares', { path: 'before.ipynb', role: 'viewer' })).json();
  const client = await connectNotebook(server, 'before.ipynb');
  expect((await server.api('PATCH', '/api/contents/before.ipynb', { path: 'after.ipynb' })).status).toBe(200);
  const after = await openSession(server, 'after.ipynb');
  expect(after).toMatchObject({ fileId: session.fileId, sessionId: session.sessionId });
  await eventually(() => expect(client.doc.getMap('state').get('path')).toBe('after.ipynb'));
  client.notebook.getCell(0).updateSource(4, 4, ' going');
  await eventually(() => {
    const onDisk = JSON.parse(readFileSync(join(server.root, 'after.ipynb'), 'utf8'));
    expect(onDisk.cells[0].source.join('')).toBe('keep going');
  });
  expect((await server.api('GET', '/api/contents/after.ipynb', undefined, share.token)).status).toBe(200);
  client.destroy();
});

test('paths outside the root are refused', async () => {
  const outside = join(tmpdir(), `tandem-outside-${Date.now()}.ipynb`);
  writeFileSync(outside, JSON.stringify(makeNotebook([])));
  symlinkSync(outside, join(server.root, 'escape.ipynb'));
  symlinkSync(tmpdir(), join(server.root, 'tmp-link'));
  await server.api('PUT', '/api/contents/inside.ipynb', { type: 'notebook', format: 'json', content: makeNotebook([]) });
  const refused = [
    await server.api('GET', '/api/contents/..%2F..%2Fetc%2Fpasswd'),
    await server.api('GET', '/api/contents/%2E%2E/%2E%2E/etc/passwd'),
    await server.api('GET', '/api/contents/escape.ipynb'),
    await server.api('GET', '/api/contents/tmp-link'),
    await server.api('PUT', '/api/contents/tmp-link/x.txt', { type: 'file', format: 'text', content: 'x' }),
    await server.api('GET', '/api/contents/.tandem/shares.json'),
    await server.api('GET', '/files/.tandem/cookie-secret'),
    await server.api('GET', '/files/.tandem/server-token.json'),
    await server.api('GET', '/api/contents/.tandem/server-token.json'),
    await server.api('PATCH', '/api/contents/inside.ipynb', { path: '../stolen.ipynb' }),
    await server.api('POST', '/api/shares', { path: '../x.ipynb', role: 'viewer' }),
  ];
  for (const response of refused) expect([400, 404]).toContain(response.status);
});

test('uploads and downloads of plain files', async () => {
  const bytes = Buffer.from([0, 1, 2, 250, 251, 252]);
  const put = await server.api('PUT', '/api/contents/data.bin', { type: 'file', format: 'base64', content: bytes.toString('base64') });
  expect(put.status).toBe(201);
  const model = await json(await server.api('GET', '/api/contents/data.bin'));
  expect(model.body).toMatchObject({ format: 'base64', content: bytes.toString('base64') });
  const download = await server.api('GET', '/files/data.bin');
  expect(download.headers.get('content-disposition')).toMatch(/^attachment/);
  expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
  // An uploaded page is never served inline from the app's origin.
  await server.api('PUT', '/api/contents/page.html', { type: 'file', format: 'text', content: '<script>alert(1)</script>' });
  const page = await server.api('GET', '/files/page.html');
  expect(page.headers.get('content-type')).toBe('application/octet-stream');
  expect(page.headers.get('content-security-policy')).toBe('sandbox');
});

test('a PUT to an open notebook is merged into the room cell by cell', async () => {
  await server.api('PUT', '/api/contents/merge.ipynb', {
    type: 'notebook',
    format: 'json',
    content: makeNotebook([
      { id: 'a', source: 'first' },
      { id: 'b', source: 'second' },
    ]),
  });
  const client = await connectNotebook(server, 'merge.ipynb');
  // A collaborator is typing in cell a while a script saves a new version via the API.
  client.notebook.getCell(0).updateSource(5, 5, ' (typed live)');
  await eventually(async () => {
    const live = await (await server.api('GET', '/api/contents/merge.ipynb')).json();
    expect(live.content.cells[0].source).toBe('first (typed live)');
  });
  const put = await server.api('PUT', '/api/contents/merge.ipynb', {
    type: 'notebook',
    format: 'json',
    content: makeNotebook([
      { id: 'a', source: 'first (typed live)' },
      { id: 'b', source: 'second, edited by a script' },
      { id: 'c', source: 'third' },
    ]),
  });
  expect(put.status).toBe(200);
  await eventually(() => expect(client.notebook.cells.map((c) => c.getSource())).toEqual(['first (typed live)', 'second, edited by a script', 'third']));
  client.destroy();
});

test('an edit made to the file outside Tandem is merged cell by cell, without duplicates', async () => {
  await server.api('PUT', '/api/contents/outside.ipynb', {
    type: 'notebook',
    format: 'json',
    content: makeNotebook([
      { id: 'one', source: 'one' },
      { id: 'two', source: 'two' },
    ]),
  });
  const client = await connectNotebook(server, 'outside.ipynb');
  const edited = makeNotebook([
    { id: 'zero', source: 'zero' },
    { id: 'one', source: 'one, edited in vim' },
    { id: 'two', source: 'two' },
  ]);
  writeFileSync(join(server.root, 'outside.ipynb'), JSON.stringify(edited, null, 2));
  await eventually(() => expect(client.notebook.cells.map((c) => c.getSource())).toEqual(['zero', 'one, edited in vim', 'two']), 10_000);
  expect(client.notebook.cells.map((c) => c.getId())).toEqual(['zero', 'one', 'two']);
  client.destroy();
});

test('an outside edit of one cell keeps what was typed here, not yet saved, in another', async () => {
  // Saves held back, so that the typing is in the room only when the outside edit lands.
  const slow = await startTandem({ args: ['--save-delay', '60'] });
  try {
    await putNotebook(slow, 'kept.ipynb', [
      { id: 'one', source: 'one' },
      { id: 'two', source: 'two' },
    ]);
    const typist = await connectNotebook(slow, 'kept.ipynb');
    typist.notebook.getCell(1).updateSource(3, 3, ' typed here');
    // The server has the typing: a client joining now receives it.
    const reader = await connectNotebook(slow, 'kept.ipynb');
    await eventually(() => expect(reader.notebook.getCell(1)?.getSource()).toBe('two typed here'));
    // A script edits cell one of the file as it was saved, where cell two is still 'two'.
    const edited = makeNotebook([
      { id: 'one', source: 'one, edited by a script' },
      { id: 'two', source: 'two' },
    ]);
    writeFileSync(join(slow.root, 'kept.ipynb'), JSON.stringify(edited, null, 1));
    await eventually(() => expect(reader.notebook.getCell(0).getSource()).toBe('one, edited by a script'), 10_000);
    expect(reader.notebook.cells.map((c) => c.getSource())).toEqual(['one, edited by a script', 'two typed here']);
    typist.destroy();
    reader.destroy();
    // Both are in the file once the room's save is flushed.
    expect(await slow.stop()).toBe(0);
    const saved = JSON.parse(readFileSync(join(slow.root, 'kept.ipynb'), 'utf8')) as { cells: { source: string | string[] }[] };
    expect(saved.cells.map((c) => [c.source].flat().join(''))).toEqual(['one, edited by a script', 'two typed here']);
  } finally {
    await slow.kill9();
  }
});

test('an invalid notebook PUT gets a 400 naming the problem and changes nothing', async () => {
  await server.api('PUT', '/api/contents/valid.ipynb', { type: 'notebook', format: 'json', content: makeNotebook([{ id: 'v', source: 'ok' }]) });
  const before = readFileSync(join(server.root, 'valid.ipynb'), 'utf8');
  const broken = makeNotebook([{ id: 'v', source: 'ok' }]) as { cells: Record<string, unknown>[] };
  broken.cells[0].outputs = [{ output_type: 'stream', name: 'stdout' }];
  const response = await json(await server.api('PUT', '/api/contents/valid.ipynb', { type: 'notebook', format: 'json', content: broken }));
  expect(response.status).toBe(400);
  expect(response.body.message).toContain("/cells/0/outputs/0 must have required property 'text'");
  expect(readFileSync(join(server.root, 'valid.ipynb'), 'utf8')).toBe(before);
  expect((await server.api('PUT', '/api/contents/valid.ipynb', { type: 'notebook', format: 'json', content: 'nope' })).status).toBe(400);
  let deep: unknown = 'bottom';
  for (let i = 0; i < 3000; i++) deep = [deep];
  const nested = makeNotebook([{ id: 'v', source: 'ok' }]) as { metadata: Record<string, unknown> };
  nested.metadata.deep = deep;
  const refused = await json(await server.api('PUT', '/api/contents/valid.ipynb', { type: 'notebook', format: 'json', content: nested }));
  expect(refused.status).toBe(400);
  expect(refused.body.message).toMatch(/nest more than 128 levels/);
  expect((await server.api('PUT', '/api/contents/valid.ipynb', { type: 'nonsense' })).status).toBe(400);
});
