// Saved bytes equal Jupyter's: nbformat drops transient fields on every write (its
// `strip_transient`: the notebook's signature and orig_nbformat, each cell's `trusted`),
// so a notebook Jupyter signed loses them when Tandem saves it, as it would in Jupyter.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectNotebook, eventually } from '../helpers/clients';
import { startTandem, type TandemProcess } from '../helpers/tandem';

let server: TandemProcess;
beforeAll(async () => {
  server = await startTandem();
});
afterAll(async () => {
  await server.stop();
});

/** nbformat's file layout: keys sorted, one-space indent, a trailing newline. */
function asJupyterWrites(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
          )
        : v;
  return `${JSON.stringify(sort(value), null, 1)}\n`;
}

function notebook(transient: boolean, source: string[]) {
  return {
    cells: [
      {
        cell_type: 'code',
        execution_count: 1,
        id: 'signed-cell',
        metadata: { tags: ['keep'], ...(transient ? { trusted: true } : {}) },
        outputs: [{ name: 'stdout', output_type: 'stream', text: ['3\n'] }],
        source,
      },
      { cell_type: 'markdown', id: 'notes', metadata: { ...(transient ? { trusted: false } : {}) }, source: ['# Notes'] },
    ],
    metadata: {
      kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' },
      ...(transient ? { orig_nbformat: 3, orig_nbformat_minor: 0, signature: 'sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f0' } : {}),
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

test('a signed notebook, edited and saved, loses its signature and trust marks as it would in Jupyter', async () => {
  const path = join(server.root, 'signed.ipynb');
  writeFileSync(path, asJupyterWrites(notebook(true, ['x = 1\n', 'print(x + 2)'])));
  const client = await connectNotebook(server, 'signed.ipynb');
  client.notebook.getCell(0).updateSource(0, 0, '# edited\n');
  const expected = asJupyterWrites(notebook(false, ['# edited\n', 'x = 1\n', 'print(x + 2)']));
  await eventually(() => expect(readFileSync(path, 'utf8')).toBe(expected));
  client.destroy();
});
