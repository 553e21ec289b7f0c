// The History panel's comparison of a version with now: cell by cell by id, sources and
// outputs as line diffs, and cells deleted or added since in their places.
import { expect, test } from 'vitest';
import { diffCells } from '../../client/src/lib/notebook/version-diff';
import type { CellJSON } from '../../common/nbformat';

const code = (id: string, source: string, text?: string): CellJSON => ({
  id,
  cell_type: 'code',
  metadata: {},
  source,
  execution_count: null,
  outputs: text === undefined ? [] : [{ output_type: 'stream', name: 'stdout', text }],
});

test('cells changed, deleted and added since a version are told apart, with what changed in each', () => {
  const then = [code('a', 'x = 1\ny = 2\n', 'old\n'), code('b', 'gone = True'), code('c', 'same = 1')];
  const now = [code('a', 'x = 1\ny = 3\n', 'new\n'), code('c', 'same = 1'), code('d', 'added = 1')];
  const diffs = diffCells(then, now);
  expect(diffs.map((d) => [d.id, d.status])).toEqual([
    ['a', 'changed'],
    ['b', 'deleted'],
    ['c', 'same'],
    ['d', 'added'],
  ]);
  const a = diffs[0];
  expect(a.source.filter((c) => c.removed).map((c) => c.value)).toEqual(['y = 2\n']);
  expect(a.source.filter((c) => c.added).map((c) => c.value)).toEqual(['y = 3\n']);
  expect(a.outputs.filter((c) => c.removed).map((c) => c.value)).toEqual(['old\n']);
  expect(a.outputs.filter((c) => c.added).map((c) => c.value)).toEqual(['new\n']);
  expect(diffs[1].source.every((c) => c.removed)).toBe(true);
});

test('a cell whose outputs alone changed counts as changed', () => {
  const diffs = diffCells([code('a', 'print(1)', '1\n')], [code('a', 'print(1)', '2\n')]);
  expect(diffs[0].status).toBe('changed');
});
