// What a restore brings the notebook to, as a notebook the cell-by-cell merge then applies
// (notebook/merge.ts): the whole notebook of a version, or today's notebook with some cells
// as they were in it. A cell deleted since comes back after the cell that preceded it then.

import * as Y from 'yjs';
import type { CellJSON, NotebookJSON } from '../../common/nbformat';
import { notFound } from '../errors';
import { notebookFromDoc } from '../notebook/notebook-doc';

/** The notebook a document holds, every cell carrying its id (whatever its nbformat minor). */
function withIds(doc: Y.Doc): NotebookJSON {
  const nb = notebookFromDoc(doc);
  const ids = doc
    .getArray<unknown>('cells')
    .toArray()
    .filter((c): c is Y.Map<unknown> => c instanceof Y.Map)
    .map((c) => String(c.get('id')));
  return { ...nb, cells: nb.cells.map((cell, i) => ({ ...cell, id: ids[i] })) };
}

export function restorePlan(current: Y.Doc, version: Y.Doc, cellIds?: readonly string[]): NotebookJSON {
  const then = withIds(version);
  if (!cellIds) return then;
  const now = withIds(current);
  const cells: CellJSON[] = [...now.cells];
  for (const id of cellIds) {
    const at = then.cells.findIndex((c) => c.id === id);
    if (at < 0) throw notFound(`That version has no cell ${id}`);
    const cell = then.cells[at];
    const here = cells.findIndex((c) => c.id === id);
    if (here >= 0) {
      cells[here] = cell;
      continue;
    }
    let insertAt = 0;
    for (let k = at - 1; k >= 0; k--) {
      const before = cells.findIndex((c) => c.id === then.cells[k].id);
      if (before >= 0) {
        insertAt = before + 1;
        break;
      }
    }
    cells.splice(insertAt, 0, cell);
  }
  return { ...now, cells };
}
