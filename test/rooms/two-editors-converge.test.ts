import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { makeNotebook } from '../helpers/notebooks';
import { startTandem, type TandemProcess } from '../helpers/tandem';

let server: TandemProcess;
beforeAll(async () => {
  server = await startTandem();
});
afterAll(async () => {
  await server.stop();
});

const sources = (client: NotebookClient) => client.notebook.cells.map((c) => c.getSource());

test('two editors converge on concurrent text edits, inserts, deletes and moves, and the saved file agrees', async () => {
  const put = await server.api('PUT', '/api/contents/pair.ipynb', {
    type: 'notebook',
    format: 'json',
    content: makeNotebook([
      { id: 'a', source: 'x = 1' },
      { id: 'b', source: 'y = 2' },
      { id: 'c', type: 'markdown', source: '# Notes' },
    ]),
  });
  expect(put.status).toBe(201);
  const alice = await connectNotebook(server, 'pair.ipynb');
  const bob = await connectNotebook(server, 'pair.ipynb');
  expect(sources(alice)).toEqual(['x = 1', 'y = 2', '# Notes']);

  // Both type into the same cell at the same moment, at different places.
  alice.notebook.getCell(0).updateSource(0, 0, 'alice_');
  bob.notebook.getCell(0).updateSource(5, 5, ' + 41');
  // Structure changes from both sides.
  alice.notebook.insertCell(1, { cell_type: 'code', source: 'from_alice()', id: 'from-alice' });
  bob.notebook.deleteCell(1); // 'y = 2'
  bob.notebook.insertCell(0, { cell_type: 'markdown', source: 'from bob', id: 'from-bob' });
  alice.notebook.moveCell(alice.notebook.cells.length - 1, 0);

  await eventually(() => {
    expect(alice.notebook.toJSON()).toEqual(bob.notebook.toJSON());
    expect(sources(alice)).toContain('from_alice()');
    expect(sources(alice)).toContain('from bob');
  });
  const text = sources(alice).join('\n');
  expect(text).toContain('alice_x = 1 + 41');
  expect(text).not.toContain('y = 2');
  expect(sources(alice).filter((s) => s === '# Notes')).toHaveLength(1);

  // The debounced save writes the same notebook to disk.
  const expected = alice.notebook.toJSON();
  await eventually(() => {
    const onDisk = JSON.parse(readFileSync(join(server.root, 'pair.ipynb'), 'utf8'));
    const joined = onDisk.cells.map((c: { source: string[] }) => c.source.join(''));
    expect(joined).toEqual(expected.cells.map((c) => c.source));
    expect(onDisk.cells.map((c: { id: string }) => c.id)).toEqual(expected.cells.map((c) => c.id));
  });
  // And the contents API serves the live document.
  const live = await (await server.api('GET', '/api/contents/pair.ipynb')).json();
  expect(live.content.cells.map((c: { source: string }) => c.source)).toEqual(expected.cells.map((c) => c.source));
  alice.destroy();
  bob.destroy();
});
