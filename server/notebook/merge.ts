// Merges a notebook (an outside edit of the file, or a contents-API PUT) into a live
// document cell by cell, matched by cell id, so that collaborators' concurrent work survives
// and nothing is duplicated. Sources change by their differing middle only; a file without
// cell ids is aligned with the document by content.

import { randomUUID } from 'node:crypto';
import { diffArrays } from 'diff';
import { equalityDeep } from 'lib0/function';
import * as Y from 'yjs';
import { FILE_FACTS_KEY } from '../../common/doc-schema';
import { type CellJSON, isJSONObject, type JSONObject, type NotebookJSON } from '../../common/nbformat';
import { cellFacts, cellToYMap, docCellType, factsFor, outputFromY, outputsOf, outputToYMap } from './cell-model';

const cellKey = (type: unknown, source: unknown): string => `${String(type)}\u0000${String(source ?? '')}`;

function docCellKey(cell: Y.Map<unknown>): string {
  const source = cell.get('source');
  return cellKey(cell.get('cell_type'), source instanceof Y.Text ? source.toString() : '');
}

/** Ids for the target cells: their own, or those of the document cells they line up with. */
function targetIds(current: Y.Map<unknown>[], cells: CellJSON[]): string[] {
  const ids: (string | undefined)[] = cells.map((c) => (typeof c.id === 'string' ? c.id : undefined));
  const claimed = new Set(ids.filter(Boolean));
  const free = current.filter((c) => !claimed.has(String(c.get('id'))));
  const idless = cells.map((c, i) => ({ c, i })).filter(({ c }) => typeof c.id !== 'string');
  const changes = diffArrays(
    free.map(docCellKey),
    idless.map(({ c }) => cellKey(docCellType(c), c.source)),
  );
  let a = 0;
  let b = 0;
  for (let k = 0; k < changes.length; k++) {
    const change = changes[k];
    if (!change.added && !change.removed) {
      for (let n = 0; n < change.count; n++) ids[idless[b++].i] = String(free[a++].get('id'));
    } else if (change.removed && changes[k + 1]?.added) {
      // A run of removed cells followed by added ones is the same cells, edited.
      const added = changes[++k];
      const paired = Math.min(change.count, added.count);
      for (let n = 0; n < paired; n++) ids[idless[b + n].i] = String(free[a + n].get('id'));
      a += change.count;
      b += paired;
      for (let n = paired; n < added.count; n++) ids[idless[b++].i] = randomUUID();
    } else if (change.removed) {
      a += change.count;
    } else {
      for (let n = 0; n < change.count; n++) ids[idless[b++].i] = randomUUID();
    }
  }
  return ids.map((id) => id ?? randomUUID());
}

function updateText(text: Y.Text, target: string): void {
  const current = text.toString();
  if (current === target) return;
  let start = 0;
  const max = Math.min(current.length, target.length);
  while (start < max && current[start] === target[start]) start++;
  let end = 0;
  while (end < max - start && current[current.length - 1 - end] === target[target.length - 1 - end]) end++;
  text.delete(start, current.length - start - end);
  text.insert(start, target.slice(start, target.length - end));
}

function updateMap(map: Y.Map<unknown>, target: JSONObject): void {
  for (const key of [...map.keys()]) if (!(key in target)) map.delete(key);
  for (const [key, value] of Object.entries(target)) {
    const current = map.get(key);
    const plain = current instanceof Y.AbstractType ? current.toJSON() : current;
    if (!equalityDeep(plain, value)) map.set(key, value);
  }
}

function setIfChanged(map: Y.Map<unknown>, key: string, value: unknown): void {
  if (value === undefined) {
    if (map.has(key)) map.delete(key);
  } else if (!equalityDeep(map.get(key), value)) {
    map.set(key, value);
  }
}

/** Updates a document cell in place; returns false when it must be replaced instead. */
function updateCell(ymap: Y.Map<unknown>, cell: CellJSON, minor: number): boolean {
  if (ymap.get('cell_type') !== docCellType(cell)) return false;
  const source = ymap.get('source');
  const metadata = ymap.get('metadata');
  if (!(source instanceof Y.Text) || !(metadata instanceof Y.Map)) return false;
  updateText(source, typeof cell.source === 'string' ? cell.source : '');
  updateMap(metadata, cell.metadata);
  if (cell.cell_type === 'code') {
    const outputs = ymap.get('outputs');
    const target = outputsOf(cell);
    if (!(outputs instanceof Y.Array)) return false;
    if (!equalityDeep(outputs.toArray().map(outputFromY), target)) {
      outputs.delete(0, outputs.length);
      outputs.insert(0, target.map(outputToYMap));
    }
    setIfChanged(ymap, 'execution_count', typeof cell.execution_count === 'number' ? cell.execution_count : null);
  } else {
    setIfChanged(ymap, 'attachments', cell.attachments);
  }
  const facts = factsFor(cell, minor);
  if (!equalityDeep(cellFacts(ymap), facts)) {
    if (Object.keys(facts).length) ymap.set(FILE_FACTS_KEY, facts);
    else ymap.delete(FILE_FACTS_KEY);
  }
  return true;
}

/** Brings the document to the notebook's content with the smallest set of changes. */
export function mergeNotebookIntoDoc(doc: Y.Doc, nb: NotebookJSON, origin: unknown): void {
  const cells = doc.getArray<Y.Map<unknown>>('cells');
  const minor = nb.nbformat_minor;
  doc.transact(() => {
    const ids = targetIds(cells.toArray(), nb.cells);
    const wanted = new Set(ids);
    for (let i = cells.length - 1; i >= 0; i--) {
      const cell = cells.get(i);
      if (!(cell instanceof Y.Map) || !wanted.has(String(cell.get('id')))) cells.delete(i, 1);
    }
    nb.cells.forEach((cell, i) => {
      const id = ids[i];
      const here = cells.length > i ? cells.get(i) : undefined;
      if (here && here.get('id') === id && updateCell(here, cell, minor)) return;
      // Out of place or of another type: the file's version replaces it at this position.
      const elsewhere = cells.toArray().findIndex((c, j) => j >= i && c.get('id') === id);
      if (elsewhere >= 0) cells.delete(elsewhere, 1);
      cells.insert(i, [cellToYMap(cell, id, minor)]);
    });
    const meta = doc.getMap('meta');
    setIfChanged(meta, 'nbformat', nb.nbformat);
    setIfChanged(meta, 'nbformat_minor', nb.nbformat_minor);
    const metadata = meta.get('metadata');
    if (metadata instanceof Y.Map) updateMap(metadata, nb.metadata);
    else meta.set('metadata', new Y.Map(Object.entries(nb.metadata)));
    const extra: JSONObject = {};
    for (const [key, value] of Object.entries(nb)) {
      if (!['nbformat', 'nbformat_minor', 'metadata', 'cells'].includes(key)) extra[key] = value;
    }
    const facts = meta.get(FILE_FACTS_KEY);
    const currentExtra = isJSONObject(facts) && isJSONObject(facts.extra) ? facts.extra : {};
    if (!equalityDeep(currentExtra, extra)) {
      if (Object.keys(extra).length) meta.set(FILE_FACTS_KEY, { extra });
      else meta.delete(FILE_FACTS_KEY);
    }
  }, origin);
}
