// Keeps the shared document inside the notebook schema whatever a client sends. A valid
// Yjs update can still carry a cell of an unknown type, a source that is not a Y.Text, or a
// write to the server-owned maps; every YNotebook client would choke on the first two, and
// the third would forge kernel state. After each client transaction the guard works out a
// repair, which the room applies and sends out together with the client's update, so no
// other client ever sees the broken state.

import * as Y from 'yjs';
import { SERVER_OWNED_ROOTS } from '../../common/doc-schema';
import { CELL_ID_PATTERN, isKnownCellType } from '../../common/nbformat';

type Repair = () => void;

export class SchemaGuard {
  private repairs: Repair[] = [];
  private readonly cells: Y.Array<unknown>;
  private readonly meta: Y.Map<unknown>;

  constructor(private readonly doc: Y.Doc, private readonly isClientOrigin: (origin: unknown) => boolean) {
    this.cells = doc.getArray('cells');
    this.meta = doc.getMap('meta');
    for (const name of SERVER_OWNED_ROOTS) {
      const map = doc.getMap(name);
      map.observe((event) => {
        if (!this.isClientOrigin(event.transaction.origin)) return;
        const restore = new Map<string, unknown>();
        event.changes.keys.forEach((change, key) => {
          restore.set(key, change.action === 'add' ? undefined : plain(change.oldValue));
        });
        this.repairs.push(() => {
          for (const [key, value] of restore) {
            if (value === undefined) map.delete(key);
            else map.set(key, value);
          }
        });
      });
    }
    doc.on('afterTransaction', (transaction: Y.Transaction) => {
      if (this.isClientOrigin(transaction.origin)) this.inspect(transaction);
    });
  }

  /** The repair for what clients changed since the last call, if anything needs one. */
  takeRepair(): Repair | undefined {
    if (this.repairs.length === 0) return undefined;
    const repairs = this.repairs;
    this.repairs = [];
    return () => repairs.forEach((repair) => repair());
  }

  private inspect(transaction: Y.Transaction): void {
    let checkAllCells = false;
    const touchedCells = new Set<Y.Map<unknown>>();
    let checkMeta = false;
    for (const type of transaction.changed.keys() as Iterable<unknown>) {
      if (type === this.cells) checkAllCells = true;
      else if (type === this.meta) checkMeta = true;
      else if (type instanceof Y.Map && type.parent === this.cells) touchedCells.add(type);
    }
    if (checkAllCells) this.repairs.push(() => this.repairAllCells());
    else if (touchedCells.size) this.repairs.push(() => touchedCells.forEach((cell) => this.repairCell(cell)));
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
  }

  private repairMeta(): void {
    if (!(this.meta.get('metadata') instanceof Y.Map)) this.meta.set('metadata', new Y.Map());
    if (this.meta.get('nbformat') !== 4) this.meta.set('nbformat', 4);
    const minor = this.meta.get('nbformat_minor');
    if (typeof minor !== 'number' || !Number.isInteger(minor) || minor < 0) this.meta.set('nbformat_minor', 5);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Y.AbstractType);
}

function plain(value: unknown): unknown {
  return value instanceof Y.AbstractType ? value.toJSON() : value;
}
