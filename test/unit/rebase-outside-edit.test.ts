import { expect, test } from 'vitest';
import type { CellJSON, NotebookJSON } from '../../common/nbformat';
import { baseOf, rebaseOutsideEdit } from '../../server/notebook/rebase';

const cell = (id: string, source: string): CellJSON => ({ id, cell_type: 'code', metadata: {}, source, outputs: [], execution_count: null });
const notebook = (...cells: CellJSON[]): NotebookJSON => ({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells });
const sources = (nb: NotebookJSON) => nb.cells.map((c) => `${c.id}:${c.source}`);

test('the cells another writer changed are theirs, and every other cell stays as it is live', () => {
  const base = baseOf(notebook(cell('a', '1'), cell('b', '2'), cell('c', '3')));
  const theirs = notebook(cell('a', '1'), cell('b', '2 changed there'), cell('c', '3'));
  const live = notebook(cell('a', '1 typed here'), cell('b', '2'), cell('c', '3 typed here'));
  expect(sources(rebaseOutsideEdit(base, theirs, live))).toEqual(['a:1 typed here', 'b:2 changed there', 'c:3 typed here']);
});

test('cells added live are kept where they were added; cells deleted on either side stay deleted unless the other changed them', () => {
  const base = baseOf(notebook(cell('a', '1'), cell('b', '2'), cell('c', '3')));
  // They deleted b and changed c; here, a was deleted and n added after b.
  const theirs = notebook(cell('a', '1'), cell('c', '3 changed there'), cell('t', 'theirs, new'));
  const live = notebook(cell('b', '2'), cell('n', 'new here'), cell('c', '3'));
  expect(sources(rebaseOutsideEdit(base, theirs, live))).toEqual(['n:new here', 'c:3 changed there', 't:theirs, new']);
});

test("the notebook's metadata is theirs only when they changed it", () => {
  const base = baseOf(notebook(cell('a', '1')));
  const live = { ...notebook(cell('a', '1')), metadata: { live: true } };
  expect(rebaseOutsideEdit(base, notebook(cell('a', '1')), live).metadata).toEqual({ live: true });
  const theirs = { ...notebook(cell('a', '1')), metadata: { theirs: true } };
  expect(rebaseOutsideEdit(base, theirs, live).metadata).toEqual({ theirs: true });
});

test('a cell whose keys another tool wrote in another order is unchanged', () => {
  const base = baseOf(notebook(cell('a', '1'), cell('b', '2')));
  const reordered = { source: '2', outputs: [], metadata: {}, id: 'b', execution_count: null, cell_type: 'code' } as CellJSON;
  const live = notebook(cell('a', '1'), cell('b', '2 typed here'));
  expect(sources(rebaseOutsideEdit(base, notebook(cell('a', '1 changed there'), reordered), live))).toEqual(['a:1 changed there', 'b:2 typed here']);
});
