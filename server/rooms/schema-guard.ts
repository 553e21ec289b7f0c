// Keeps the shared document inside the notebook schema whatever a client sends. Before an
// update is applied, one that writes what only the server writes (outputs, counts, its own
// maps, unknown top-level types) is refused whole: see client-writes.ts. A valid update can
// still carry a cell of an unknown type or a source that is not a Y.Text, and every YNotebook
// client would choke on those. After each client transaction the guard works out a repair,
// which the room applies and sends out together with the client's update, so no other
// client ever sees the broken state.

import * as Y from 'yjs';
import { CELL_ID_PATTERN, isKnownCellType } from '../../common/nbformat';
import { judgeClientUpdate, restoreStaleCopies } from '../protocol/client-writes';
import type { DecodedUpdate } from '../protocol/update-places';

type Repair = () => void;

/** Deeper than any real notebook metadata nests; deep enough to keep what clients send. */
const MAX_NESTING = 32;
/** How far up from a changed type to look for the cell it belongs to. */
const MAX_CLIMB = 64;

export class SchemaGuard {
  private repairs: Repair[] = [];
  private readonly cells: Y.Array<unknown>;
  private readonly meta: Y.Map<unknown>;

  constructor(
    private readonly doc: Y.Doc,
    private readonly isClientOrigin: (origin: unknown) => boolean,
  ) {
    this.cells = doc.getArray('cells');
    this.meta = doc.getMap('meta');
    doc.on('afterTransaction', (transaction: Y.Transaction) => {
      if (this.isClientOrigin(transaction.origin)) this.inspect(transaction);
    });
  }

  /**
   * Why a client's update must be refused before it is applied, if it must. An admitted one
   * may be a move whose copy is stale: setting it back to the server's values is queued with
   * the repairs, to run once the update is applied.
   */
  admit(update: DecodedUpdate): string | undefined {
    const verdict = judgeClientUpdate(this.doc, update);
    if (verdict.refusal !== undefined) return verdict.refusal;
    const { staleCopies } = verdict;
    if (staleCopies.length) this.repairs.push(() => restoreStaleCopies(this.doc, staleCopies));
    return undefined;
  }

  /** The repair for what clients changed since the last call, if anything needs one. */
  takeRepair(): Repair | undefined {
    if (this.repairs.length === 0) return undefined;
    const repairs = this.repairs;
    this.repairs = [];
    return () => {
      for (const repair of repairs) repair();
    };
  }

  private inspect(transaction: Y.Transaction): void {
    let checkAllCells = false;
    const touchedCells = new Set<Y.Map<unknown>>();
    let checkMeta = false;
    for (const changed of transaction.changed.keys() as Iterable<unknown>) {
      if (changed === this.cells) {
        checkAllCells = true;
        continue;
      }
      // A change deep inside a cell (its metadata, an output) is checked as that cell.
      let type = changed as Y.AbstractType<unknown> | null;
      for (let steps = 0; type && steps < MAX_CLIMB; steps++) {
        if ((type as unknown) === this.meta) checkMeta = true;
        if (type instanceof Y.Map && type.parent === this.cells) touchedCells.add(type);
        type = type.parent as Y.AbstractType<unknown> | null;
      }
    }
    if (checkAllCells) this.repairs.push(() => this.repairAllCells());
    else if (touchedCells.size)
      this.repairs.push(() => {
        for (const cell of touchedCells) this.repairCell(cell);
      });
    if (checkMeta) this.repairs.push(() => this.repairMeta());
  }

  private repairAllCells(): void {
    const seen = new Set<string>();
    for (let i = this.cells.length - 1; i >= 0; i--) {
      if (!(this.cells.get(i) instanceof Y.Map)) this.cells.delete(i, 1);
    }
    for (const cell of this.cells.toArray() as Y.Map<unknown>[]) {
      this.repairCell(cell);
      const id = cell.get('id') as string;
      // Two clients can insert cells with the same id at once; ids must stay unique.
      if (seen.has(id)) cell.set('id', crypto.randomUUID());
      seen.add(cell.get('id') as string);
    }
  }

  /** Fixes a cell's structure while keeping its content. */
  private repairCell(cell: Y.Map<unknown>): void {
    if (cell.parent !== this.cells || cell._item?.deleted) return;
    const type = cell.get('cell_type');
    if (!isKnownCellType(type)) cell.set('cell_type', 'raw');
    const id = cell.get('id');
    if (typeof id !== 'string' || !CELL_ID_PATTERN.test(id)) cell.set('id', crypto.randomUUID());
    const source = cell.get('source');
    if (!(source instanceof Y.Text)) cell.set('source', new Y.Text(typeof source === 'string' ? source : ''));
    const metadata = cell.get('metadata');
    if (!(metadata instanceof Y.Map)) {
      const entries = isPlainObject(metadata) ? Object.entries(metadata) : [];
      cell.set('metadata', new Y.Map(entries));
    }
    if (cell.get('cell_type') === 'code') {
      if (!(cell.get('outputs') instanceof Y.Array)) cell.set('outputs', new Y.Array());
      const count = cell.get('execution_count');
      if (count !== null && count !== undefined && typeof count !== 'number') cell.set('execution_count', null);
    }
    for (const [key, value] of [...cell.entries()]) {
      if (key === 'source' || !(value instanceof Y.AbstractType)) continue;
      if (key === 'metadata') flattenEntries(value as Y.Map<unknown>);
      else if (key === 'outputs') this.repairOutputs(value as Y.Array<unknown>);
      else cell.delete(key); // The schema keeps every other cell field as plain JSON.
    }
  }

  /** Outputs are maps of plain JSON, with a stream's text as a Y.Text. */
  private repairOutputs(outputs: Y.Array<unknown>): void {
    for (let i = outputs.length - 1; i >= 0; i--) {
      const output = outputs.get(i);
      if (output instanceof Y.Map) {
        for (const [key, value] of [...output.entries()]) {
          if (key === 'text' && value instanceof Y.Text) continue;
          if (value instanceof Y.AbstractType) output.delete(key);
        }
      } else if (output instanceof Y.AbstractType) {
        outputs.delete(i, 1);
      }
    }
  }

  private repairMeta(): void {
    const metadata = this.meta.get('metadata');
    if (metadata instanceof Y.Map) flattenEntries(metadata);
    else this.meta.set('metadata', new Y.Map());
    for (const [key, value] of [...this.meta.entries()]) {
      if (key !== 'metadata' && value instanceof Y.AbstractType) this.meta.delete(key);
    }
    if (this.meta.get('nbformat') !== 4) this.meta.set('nbformat', 4);
    const minor = this.meta.get('nbformat_minor');
    if (typeof minor !== 'number' || !Number.isInteger(minor) || minor < 0) this.meta.set('nbformat_minor', 5);
  }
}

// Metadata values are plain JSON in the schema. A shared type found there becomes its JSON;
// one nested deeper than any real metadata (built to overflow every reader's stack) goes.
function flattenEntries(map: Y.Map<unknown>): void {
  for (const [key, value] of [...map.entries()]) {
    if (!(value instanceof Y.AbstractType)) continue;
    if (nestsDeeper(value, MAX_NESTING)) map.delete(key);
    else map.set(key, value.toJSON());
  }
}

/** Whether shared types nest more than `limit` levels below `root`. Iterative, so it cannot overflow. */
export function nestsDeeper(root: Y.AbstractType<unknown>, limit: number): boolean {
  const stack: [Y.AbstractType<unknown>, number][] = [[root, 0]];
  while (stack.length) {
    const [type, depth] = stack.pop()!;
    if (depth > limit) return true;
    const children = type instanceof Y.Map ? [...type.values()] : type instanceof Y.Array ? type.toArray() : [];
    for (const child of children) if (child instanceof Y.AbstractType) stack.push([child, depth + 1]);
  }
  return false;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Y.AbstractType);
}
