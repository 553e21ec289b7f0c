// What a server on a shared host owes the files and people around it: saving keeps a file's
// mode, a name too long for the file system is a clear 400, and a share request says the same
// to a link holder whether or not the notebook exists, recording nothing when refused.

import { chmod, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectNotebook, eventually } from '../helpers/clients';
import { makeNotebook } from '../helpers/notebooks';
import { startTandem, type TandemProcess } from '../helpers/tandem';

let server: TandemProcess;

beforeAll(async () => {
  server = await startTandem();
  for (const path of ['private.ipynb', 'mine.ipynb', 'other.ipynb']) {
    const response = await server.api('PUT', `/api/contents/${path}`, {
      type: 'notebook',
      format: 'json',
      content: makeNotebook([{ id: 'a', source: 'x = 1' }]),
    });
    expect(response.status).toBe(201);
  }
});
afterAll(async () => {
  await server.stop();
});

test('saving a notebook keeps its file mode, through the API and from a room', async () => {
  const file = join(server.root, 'private.ipynb');
  await chmod(file, 0o600);
  const saved = await server.api('PUT', '/api/contents/private.ipynb', {
    type: 'notebook',
    format: 'json',
    content: makeNotebook([{ id: 'a', source: 'x = 2' }]),
  });
  expect(saved.status).toBe(200);
  expect((await stat(file)).mode & 0o777).toBe(0o600);

  const client = await connectNotebook(server, 'private.ipynb');
  try {
    client.notebook.getCell(0).updateSource(0, 0, '# edited live\n');
    await eventually(async () => expect(await readFile(file, 'utf8')).toContain('# edited live'));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  } finally {
    client.destroy();
  }
});

test('a 5,000-character file name is a clear 400, not a server error', async () => {
  const name = `${'n'.repeat(5000)}.ipynb`;
  for (const [method, body] of [
    ['GET', undefined],
    ['PUT', { type: 'notebook', format: 'json', content: makeNotebook([{ id: 'a', source: '1' }]) }],
    ['DELETE', undefined],
  ] as const) {
    const response = await server.api(method, `/api/contents/${name}`, body);
    expect(response.status).toBe(400);
    expect((await response.json()).message).toMatch(/at most 255 bytes/);
  }
  const share = await server.api('POST', '/api/shares', { path: 'n'.repeat(300), role: 'viewer' });
  expect(share.status).toBe(400);
});

test('a link holder gets the same answer for another notebook whether or not it exists, and no id is recorded', async () => {
  const editor = (await (await server.api('POST', '/api/shares', { path: 'mine.ipynb', role: 'editor' })).json()).token as string;
  const ids = () => readFile(join(server.stateDir, 'file-ids.json'), 'utf8');
  const before = await ids();
  const existing = await server.api('POST', '/api/shares', { path: 'other.ipynb', role: 'viewer' }, editor);
  const missing = await server.api('POST', '/api/shares', { path: 'nowhere.ipynb', role: 'viewer' }, editor);
  expect(existing.status).toBe(403);
  expect(missing.status).toBe(403);
  expect(await existing.json()).toEqual(await missing.json());
  expect(await ids()).toBe(before);
  expect(before).not.toContain('other.ipynb');
  // Its own notebook it may share, within its role.
  expect((await server.api('POST', '/api/shares', { path: 'mine.ipynb', role: 'viewer' }, editor)).status).toBe(201);
});
