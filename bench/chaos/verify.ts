// The chaos run's verdict: are all copies of the notebook equal, and is every tag that should
// be there present exactly once?
import type * as Y from 'yjs';
import { cellsOf } from '../lib/cells.js';
import { tagsInText } from '../lib/tags.js';
import type { ChaosClient } from './chaos-client.js';

/** What users see of a notebook, in order: enough to tell two copies apart. */
export interface CellView {
  id: string;
  cell_type: string;
  source: string;
}

export function viewOfDoc(doc: Y.Doc): CellView[] {
  return cellsOf(doc)
    .toArray()
    .map((cell) => ({
      id: String(cell.get('id')),
      cell_type: String(cell.get('cell_type')),
      source: String(cell.get('source') ?? ''),
    }));
}

interface NbCell {
  id?: string;
  cell_type: string;
  source: string | string[];
}

export function viewOfNotebook(nb: { cells: NbCell[] }): CellView[] {
  return nb.cells.map((c) => ({
    id: String(c.id),
    cell_type: c.cell_type,
    source: Array.isArray(c.source) ? c.source.join('') : c.source,
  }));
}

export const sameView = (a: CellView[], b: CellView[]): boolean => JSON.stringify(a) === JSON.stringify(b);

export interface TagAccount {
  /** Tags written and not deleted by their writer. */
  expected: number;
  /** Expected tags missing from the final document. */
  lost: string[];
  /** Of those, tags another client had received before they went missing. */
  lostAfterReceipt: string[];
  /** Tags present more than once. */
  duplicated: string[];
  /** Tags their writer deleted that came back. */
  resurrected: string[];
  /** Tags of other clients that some client received. */
  received: number;
}

export function accountTags(clients: ChaosClient[], final: CellView[]): TagAccount {
  const counts = new Map<string, number>();
  for (const cell of final) for (const t of tagsInText(cell.source)) counts.set(t, (counts.get(t) ?? 0) + 1);
  const receivedAnywhere = new Set<string>();
  for (const c of clients) for (const t of c.receivedFromOthers) receivedAnywhere.add(t);
  const account: TagAccount = { expected: 0, lost: [], lostAfterReceipt: [], duplicated: [], resurrected: [], received: receivedAnywhere.size };
  for (const c of clients) {
    for (const t of c.live) {
      account.expected++;
      const n = counts.get(t) ?? 0;
      if (n === 0) {
        account.lost.push(t);
        if (receivedAnywhere.has(t)) account.lostAfterReceipt.push(t);
      }
    }
    for (const t of c.deleted) if ((counts.get(t) ?? 0) > 0) account.resurrected.push(t);
  }
  for (const [t, n] of counts) if (n > 1) account.duplicated.push(t);
  return account;
}
