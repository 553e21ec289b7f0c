// An outside edit made on an older copy of the notebook, put on top of the live one: the cells
// the other writer changed (by id, against the copy both started from) are theirs, every other
// cell stays as it is live, and cells added live since are kept where they were added. Merging
// the result into the document then changes only what the other writer changed, instead of
// putting back the older copy of cells edited here meanwhile.

import { createHash } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';
import type { CellJSON, NotebookJSON } from '../../common/nbformat';

/**
 * What a rebase needs of the copy both writers started from: a fingerprint of each of its cells
 * by id, and of its metadata. An open notebook keeps one for as long as it is open, so it is a
 * few dozen bytes a cell rather than a second copy of the notebook beside its Y.Doc.
 */
export interface NotebookBase {
  cells: ReadonlyMap<string, string>;
  metadata: string;
}

// Keys sorted, so that a tool writing them in another order has not changed the cell.
const fingerprint = (value: unknown): string =>
  createHash('sha256')
    .update(stringify(value) ?? '')
    .digest('base64');

const idOf = (cell: CellJSON): string | undefined => (typeof cell.id === 'string' ? cell.id : undefined);

function byId(cells: readonly CellJSON[]): Map<string, CellJSON> {
  const map = new Map<string, CellJSON>();
  for (const cell of cells) {
    const id = idOf(cell);
    if (id !== undefined) map.set(id, cell);
  }
  return map;
}

export function baseOf(notebook: NotebookJSON): NotebookBase {
  const cells = new Map<string, string>();
  for (const cell of notebook.cells) {
    const id = idOf(cell);
    if (id !== undefined) cells.set(id, fingerprint(cell));
  }
  return { cells, metadata: fingerprint(notebook.metadata) };
}

export function rebaseOutsideEdit(base: NotebookBase, theirs: NotebookJSON, live: NotebookJSON): NotebookJSON {
  const liveCells = byId(live.cells);
  const cells: CellJSON[] = [];
  for (const cell of theirs.cells) {
    const id = idOf(cell);
    const before = id === undefined ? undefined : base.cells.get(id);
    if (id !== undefined && before !== undefined && before === fingerprint(cell)) {
      // They left it as it was: the live cell stands (or its deletion here).
      const mine = liveCells.get(id);
      if (mine) cells.push(mine);
    } else {
      cells.push(cell);
    }
  }
  const placed = new Set(cells.map(idOf));
  live.cells.forEach((cell, index) => {
    const id = idOf(cell);
    if (id === undefined || base.cells.has(id) || placed.has(id)) return;
    // After the nearest cell before it that is still there, or first.
    let after = -1;
    for (let before = index - 1; before >= 0 && after < 0; before--) {
      const previous = idOf(live.cells[before]);
      if (previous !== undefined) after = cells.findIndex((c) => idOf(c) === previous);
    }
    cells.splice(after + 1, 0, cell);
    placed.add(id);
  });
  const metadata = base.metadata === fingerprint(theirs.metadata) ? live.metadata : theirs.metadata;
  return { ...theirs, metadata, cells };
}
