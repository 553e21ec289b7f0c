// Notebooks for tests: small ones built in code, and the real public notebooks of the
// shared corpus.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

// The shared corpus sits beside the checkout; CI may check out elsewhere on this machine.
export const CORPUS =
  [process.env.TANDEM_CORPUS, resolve(import.meta.dirname, '../../../shared/corpus'), '/work/shared/corpus'].find(
    (dir): dir is string => Boolean(dir) && existsSync(join(dir!, 'notebooks')),
  ) ?? resolve(import.meta.dirname, '../../../shared/corpus');

export function corpusFiles(folder: 'notebooks' | 'invalid' | 'nbformat3'): { name: string; json: unknown }[] {
  const dir = join(CORPUS, folder);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.ipynb'))
    .sort()
    .map((name) => ({ name, json: JSON.parse(readFileSync(join(dir, name), 'utf8')) as unknown }));
}

export interface SimpleCell {
  id: string;
  type?: 'code' | 'markdown' | 'raw';
  source: string;
}

export function makeNotebook(cells: SimpleCell[]): Record<string, unknown> {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: cells.map((cell) =>
      (cell.type ?? 'code') === 'code'
        ? { id: cell.id, cell_type: 'code', metadata: {}, source: cell.source, outputs: [], execution_count: null }
        : { id: cell.id, cell_type: cell.type, metadata: {}, source: cell.source },
    ),
  };
}
