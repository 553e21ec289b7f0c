// `npm start -- run NOTEBOOK`, as papermill users expect it: the server's bundle started the
// way npm start starts it (`serve run ...`), no HTTP server, exit 0 with the executed notebook's
// path as the last line, non-zero on a failing cell or bad input.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { readNotebookJSON } from '../../server/notebook/validate';
import { makeNotebook } from '../helpers/notebooks';
import { removeRoot, tempRoot } from '../helpers/tandem';
import { tandemRun } from '../helpers/tandem-run';

const root = tempRoot('tandem-run-');

afterAll(() => removeRoot(root));

/** State beside the root, as every test server keeps it, so nothing lands in the home folder. */
const run = (args: string[]) => tandemRun(args, root, { TANDEM_STATE_DIR: join(root, '.tandem') });

function write(name: string, cells: { id: string; source: string }[], parametersCell?: string): void {
  const notebook = makeNotebook(cells) as { cells: { id: string; metadata: Record<string, unknown> }[] };
  for (const cell of notebook.cells) if (cell.id === parametersCell) cell.metadata = { tags: ['parameters'] };
  writeFileSync(join(root, name), JSON.stringify(notebook));
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1)!;
}

test('run exits 0 and prints the executed notebook path last; the notebook there reflects -p n 5', async () => {
  write(
    'report.ipynb',
    [
      { id: 'params', source: 'n = 1' },
      { id: 'square', source: 'print(n * n)' },
    ],
    'params',
  );
  // A path relative to the caller's folder, as a shell user types it.
  const result = await run(['report.ipynb', '-p', 'n', '5']);
  expect(result.code, result.stderr).toBe(0);
  const path = lastLine(result.stdout);
  expect(path.startsWith(join(root, '.tandem', 'jobs'))).toBe(true);
  const executed = JSON.parse(readFileSync(path, 'utf8')) as { cells: { id: string; outputs?: { text?: string[] }[] }[] };
  // A valid notebook, by nbformat's own schema.
  expect(() => readNotebookJSON(executed)).not.toThrow();
  expect(executed.cells.find((c) => c.id === 'square')!.outputs![0]!.text!.join('')).toBe('25\n');
  // The record beside it names the parameters and the outcome.
  const record = JSON.parse(readFileSync(join(path, '..', 'record.json'), 'utf8'));
  expect(record).toMatchObject({ status: 'ok', parameters: { n: 5 }, mode: 'reproducible', notebook: { path: 'report.ipynb' } });
});

test('run exits non-zero on a failing cell, and still prints where the record is', async () => {
  write('broken.ipynb', [
    { id: 'boom', source: '1 / 0' },
    { id: 'after', source: "print('never')" },
  ]);
  const result = await run(['broken.ipynb', '--live']);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('ZeroDivisionError');
  const path = lastLine(result.stdout);
  expect(existsSync(path)).toBe(true);
  const record = JSON.parse(readFileSync(join(path, '..', 'record.json'), 'utf8'));
  expect(record).toMatchObject({ status: 'failed', mode: 'live', failure: { cellId: 'boom', ename: 'ZeroDivisionError' } });
});

test('run refuses an unknown parameter and a missing notebook with a clear message', async () => {
  write('p.ipynb', [{ id: 'params', source: 'n = 1' }], 'params');
  const unknown = await run(['p.ipynb', '-p', 'm', '2']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('Unknown parameter "m". The notebook\'s parameters are: n');
  expect(unknown.stdout).toBe('');
  const missing = await run(['nowhere.ipynb']);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain(`No notebook at ${join(root, 'nowhere.ipynb')}`);
});
