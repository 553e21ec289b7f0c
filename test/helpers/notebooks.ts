// Notebooks for tests: small ones built in code, nbformat's own test notebooks (vendored in
// test/fixtures/nbformat, BSD-3-Clause), and large realistic ones made up from a seed.

import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export { syntheticNotebook } from '../../bench/lib/synthetic-notebook';

export const NBFORMAT_FIXTURES = resolve(import.meta.dirname, '../fixtures/nbformat');

/** nbformat's test notebooks: valid ones, ones its schema rejects, and nbformat 3 ones. */
export function nbformatFixtures(folder: 'notebooks' | 'invalid' | 'nbformat3'): { name: string; json: unknown }[] {
  const dir = join(NBFORMAT_FIXTURES, folder);
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
