// The parameters cell as the server checks it and the Run as job dialog offers it: the names it
// assigns at top level, each with its default as written; and values typed as papermill types them.
import { expect, test } from 'vitest';
import { parametersIn, parseParameterValue } from '../../common/parameters';

test('a parameters cell gives its top-level assignments in order, each with its default as written', () => {
  const source = [
    'n = 3  # how far to count',
    'region: str = "north"',
    'threshold=0.5',
    'if n == 3:',
    '    hidden = 1',
    'n = 4',
    'ratio: float',
    'label = ""',
  ].join('\n');
  expect(parametersIn(source)).toEqual([
    // Assigned twice: its first place, its last default.
    { name: 'n', defaultSource: '4' },
    { name: 'region', defaultSource: '"north"' },
    { name: 'threshold', defaultSource: '0.5' },
    { name: 'label', defaultSource: '""' },
  ]);
});

test('an annotation without a value, a comparison or an indented line declares nothing', () => {
  expect(parametersIn('ratio: float\nn == 3\n  m = 2\n')).toEqual([]);
});

test('values are typed as papermill types -p values', () => {
  expect(['5', '-2', '2.5', '1e3', 'True', 'false', 'None', 'north', '5 apples', ''].map(parseParameterValue)).toEqual([
    5,
    -2,
    2.5,
    1000,
    true,
    false,
    null,
    'north',
    '5 apples',
    '',
  ]);
});
