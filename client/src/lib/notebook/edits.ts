// Structural edits to the shared cell list: insert, delete, move, change type, split, merge,
// paste, clear outputs. Every edit runs in one transaction with LOCAL_ORIGIN, so collaborators see it as one
// change and our undo manager (and only ours) can take it back.
import * as Y from 'yjs';
import type { CellType } from './cell.svelte';
import { LOCAL_ORIGIN } from './session.svelte';

export type YCell = Y.Map<unknown>;

export function newCellId(): string {
  return crypto.randomUUID();
}

/** A fresh cell map in @jupyter/ydoc's schema. */
export function makeCell(type: CellType, source = '', id = newCellId(), metadata: Record<string, unknown> = {}): YCell {
  const cell = new Y.Map<unknown>();
  const ysource = new Y.Text();
  if (source) ysource.insert(0, source);
  const ymeta = new Y.Map<unknown>();
  for (const [k, v] of Object.entries(metadata)) ymeta.set(k, v);
  cell.set('id', id);
  cell.set('cell_type', type);
  cell.set('source', ysource);
  cell.set('metadata', ymeta);
  if (type === 'code') {
    cell.set('execution_count', null);
    cell.set('outputs', new Y.Array<unknown>());
  }
  return cell;
}

function transact(ycells: Y.Array<YCell>, f: () => void): void {
  const doc = ycells.doc;
  if (doc) doc.transact(f, LOCAL_ORIGIN);
  else f();
}

export function insertCell(ycells: Y.Array<YCell>, index: number, type: CellType, source = ''): string {
  const cell = makeCell(type, source);
  transact(ycells, () => ycells.insert(Math.max(0, Math.min(index, ycells.length)), [cell]));
  return String(cell.get('id'));
}

function indexOf(ycells: Y.Array<YCell>, id: string): number {
  let i = 0;
  for (const c of ycells) {
    if (c.get('id') === id) return i;
    i++;
  }
  return -1;
}

/** Deletes cells by id; returns the index where the first one was. */
export function deleteCells(ycells: Y.Array<YCell>, ids: string[]): number {
  let first = -1;
  transact(ycells, () => {
    // Delete from the end so earlier indices stay valid.
    const indices = ids
      .map((id) => indexOf(ycells, id))
      .filter((i) => i >= 0)
      .sort((a, b) => b - a);
    for (const i of indices) ycells.delete(i, 1);
    first = indices.length ? indices[indices.length - 1] : -1;
  });
  return first;
}

/**
 * Moves a contiguous block of cells by `delta` places. Yjs arrays cannot move items, so the
 * block is deleted and deep clones (same ids, same outputs and file facts) inserted.
 */
export function moveBlock(ycells: Y.Array<YCell>, ids: string[], delta: -1 | 1): boolean {
  const indices = ids
    .map((id) => indexOf(ycells, id))
    .filter((i) => i >= 0)
    .sort((a, b) => a - b);
  if (indices.length === 0) return false;
  const start = indices[0];
  const n = indices[indices.length - 1] - start + 1;
  const target = start + delta;
  if (target < 0 || target + n > ycells.length) return false;
  transact(ycells, () => {
    const clones = ycells.slice(start, start + n).map((c) => c.clone());
    ycells.delete(start, n);
    ycells.insert(target, clones);
  });
  return true;
}

/** Replaces a cell with one of another type, keeping id, source, metadata and attachments. */
export function changeType(ycells: Y.Array<YCell>, ids: string[], type: CellType): void {
  transact(ycells, () => {
    for (const id of ids) {
      const i = indexOf(ycells, id);
      if (i < 0) continue;
      const old = ycells.get(i);
      if (old.get('cell_type') === type) continue;
      const cell = old.clone();
      cell.set('cell_type', type);
      if (type === 'code') {
        cell.set('execution_count', null);
        cell.set('outputs', new Y.Array());
        cell.delete('attachments');
      } else {
        cell.delete('outputs');
        cell.delete('execution_count');
        cell.delete('execution_state');
      }
      ycells.delete(i, 1);
      ycells.insert(i, [cell]);
    }
  });
}

/** Splits a cell at the given offsets of its source; returns the ids of all resulting cells. */
export function splitCell(ycells: Y.Array<YCell>, id: string, offsets: number[]): string[] {
  const i = indexOf(ycells, id);
  if (i < 0) return [];
  const cell = ycells.get(i);
  const ysource = cell.get('source');
  if (!(ysource instanceof Y.Text)) return [id];
  const text = ysource.toString();
  const cuts = [...new Set(offsets.filter((o) => o > 0 && o < text.length))].sort((a, b) => a - b);
  if (cuts.length === 0) cuts.push(text.length);
  const parts: string[] = [];
  let prev = 0;
  for (const cut of [...cuts, text.length]) {
    parts.push(text.slice(prev, cut));
    prev = cut;
  }
  // One newline at each cut belongs to neither side.
  const trimmed = parts.map((p, k) => (k > 0 ? p.replace(/^\r?\n/, '') : p)).map((p, k, all) => (k < all.length - 1 ? p.replace(/\r?\n$/, '') : p));
  const type = (cell.get('cell_type') as CellType) ?? 'code';
  const ids = [id];
  transact(ycells, () => {
    ysource.delete(0, ysource.length);
    ysource.insert(0, trimmed[0]);
    const rest = trimmed.slice(1).map((src) => makeCell(type, src));
    ycells.insert(i + 1, rest);
    for (const c of rest) ids.push(String(c.get('id')));
  });
  return ids;
}

/** Merges cells into the first of them; sources join with a blank line. */
export function mergeCells(ycells: Y.Array<YCell>, ids: string[]): string | null {
  const indices = ids
    .map((id) => indexOf(ycells, id))
    .filter((i) => i >= 0)
    .sort((a, b) => a - b);
  if (indices.length < 2) return null;
  const first = ycells.get(indices[0]);
  const ysource = first.get('source');
  if (!(ysource instanceof Y.Text)) return null;
  transact(ycells, () => {
    const others = indices.slice(1).map((i) => ycells.get(i).get('source'));
    const texts = others.map((s) => (s instanceof Y.Text ? s.toString() : ''));
    ysource.insert(ysource.length, texts.map((t) => `\n\n${t}`).join(''));
    // Outputs and counts of the first cell stay: only the server writes those.
    for (const i of indices.slice(1).reverse()) ycells.delete(i, 1);
  });
  return String(first.get('id'));
}

/**
 * Clears code cells' outputs and execution counts, as JupyterLab's "Clear Outputs" does.
 * Outputs are otherwise the server's to write; clearing them is the one change people make,
 * and the server accepts exactly this: whole outputs removed, the count reset to null.
 */
export function clearOutputs(ycells: Y.Array<YCell>, ids: string[] | 'all'): void {
  const wanted = ids === 'all' ? null : new Set(ids);
  transact(ycells, () => {
    for (const cell of ycells) {
      if (cell.get('cell_type') !== 'code' || (wanted && !wanted.has(String(cell.get('id'))))) continue;
      const outputs = cell.get('outputs');
      if (outputs instanceof Y.Array && outputs.length) outputs.delete(0, outputs.length);
      if (cell.get('execution_count') !== null) cell.set('execution_count', null);
    }
  });
}

export interface CellJSON {
  cell_type: CellType;
  source: string;
  metadata?: Record<string, unknown>;
  outputs?: unknown[];
  execution_count?: number | null;
  attachments?: unknown;
}

export function cellToJSON(cell: YCell): CellJSON {
  const json = cell.toJSON() as Record<string, unknown>;
  const source = json.source;
  return {
    cell_type: (json.cell_type as CellType) ?? 'code',
    source: Array.isArray(source) ? source.join('') : String(source ?? ''),
    metadata: (json.metadata as Record<string, unknown>) ?? {},
    outputs: json.cell_type === 'code' ? ((json.outputs as unknown[]) ?? []) : undefined,
    execution_count: json.cell_type === 'code' ? ((json.execution_count as number | null) ?? null) : undefined,
    attachments: json.attachments,
  };
}

/**
 * Inserts copies of cells (with new ids) at index; returns the new ids. The copies come
 * without outputs or counts: only the server writes those, and it refuses a new cell that
 * brings its own (DESIGN.md section 3). Running the pasted cells makes them anew.
 */
export function pasteCells(ycells: Y.Array<YCell>, index: number, cells: CellJSON[]): string[] {
  const maps = cells.map((c) => {
    const map = makeCell(c.cell_type, c.source, newCellId(), c.metadata ?? {});
    if (c.cell_type !== 'code' && c.attachments) map.set('attachments', c.attachments);
    return map;
  });
  transact(ycells, () => ycells.insert(Math.max(0, Math.min(index, ycells.length)), maps));
  return maps.map((m) => String(m.get('id')));
}
