// Cell edits on a plain Y.Doc in @jupyter/ydoc's YNotebook schema, without YNotebook's own
// bookkeeping: what a user's typing, inserting, moving and deleting cells look like on the wire.

import { randomUUID } from 'node:crypto';
import * as Y from 'yjs';

export const cellsOf = (doc: Y.Doc): Y.Array<Y.Map<unknown>> => doc.getArray<Y.Map<unknown>>('cells');

/** A code cell shaped as YNotebook makes one. */
export function newCell(source: string, cellType: 'code' | 'markdown' = 'code'): Y.Map<unknown> {
  const cell = new Y.Map<unknown>();
  cell.set('id', randomUUID());
  cell.set('cell_type', cellType);
  cell.set('source', new Y.Text(source));
  cell.set('metadata', new Y.Map());
  if (cellType === 'code') {
    cell.set('outputs', new Y.Array());
    cell.set('execution_count', null);
  }
  return cell;
}

export function sourceOf(doc: Y.Doc, index: number): Y.Text | null {
  const cell = cellsOf(doc).get(index);
  const source = cell?.get('source');
  return source instanceof Y.Text ? source : null;
}

/** Appends text at the end of a cell's source, as typing at the end of a line does. */
export function typeInto(doc: Y.Doc, index: number, text: string): boolean {
  const source = sourceOf(doc, index);
  if (!source) return false;
  source.insert(source.length, text);
  return true;
}

/** Moves a cell the way YNotebook does: a copy inserted at the target, the original deleted. */
export function moveCell(doc: Y.Doc, from: number, to: number): void {
  const cells = cellsOf(doc);
  const cell = cells.get(from);
  if (!cell) return;
  // Read everything first: once the cell is deleted its nested source reads as empty.
  const source = cell.get('source');
  const text = source instanceof Y.Text ? source.toString() : '';
  const copy = newCell(text, (cell.get('cell_type') as 'code' | 'markdown') ?? 'code');
  copy.set('id', cell.get('id') as string);
  doc.transact(() => {
    cells.delete(from, 1);
    cells.insert(Math.min(to, cells.length), [copy]);
  });
}

/** The text of a cell's outputs (stream text, or text/plain), as any client of the document sees it. */
export function outputTextOf(doc: Y.Doc, cellId: string): string {
  for (const cell of cellsOf(doc)) {
    if (!(cell instanceof Y.Map) || cell.get('id') !== cellId) continue;
    const outputs = cell.get('outputs');
    if (!(outputs instanceof Y.Array)) return '';
    let text = '';
    for (const output of outputs) {
      const o = (output instanceof Y.Map ? output.toJSON() : output) as { text?: unknown; data?: Record<string, unknown> };
      const t = o.text ?? o.data?.['text/plain'];
      text += Array.isArray(t) ? t.join('') : typeof t === 'string' ? t : '';
    }
    return text;
  }
  return '';
}
