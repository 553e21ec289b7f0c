// Undo and redo of our own edits to the cell list. Yjs's UndoManager takes a step back by
// recreating what the step deleted and deleting what it inserted, outputs and counts included.
// Only the server writes those (DESIGN.md section 3): it refuses an update that brings them
// back or removes part of them, and after a refusal nothing more of ours would sync. So an
// undo never deletes a server-owned value (a count reset by Clear outputs stays reset), and it
// recreates a cell without its outputs, count and state, unless the step was a move. Undoing a
// move deletes the copy and recreates the original in one update, which the server accepts for
// what it is: a move, after which the cell holds the server's outputs (the newest, should the
// cell have run since).
import * as Y from 'yjs';

type StackItem = Y.UndoManager['undoStack'][number];
type DeleteSet = StackItem['deletions'];

const SERVER_FIELDS = new Set(['outputs', 'execution_count', 'execution_state']);
/** Stack item meta, set on a step that moved cells. */
const MOVED = 'tandem-moved-cells';

/**
 * Whether an item is server-owned: a count or state value, or anything inside a cell's
 * outputs. The outputs array itself is not: a cell recreated without it would not be one.
 */
function isServerOwned(item: Y.Item, ycells: Y.AbstractType<Y.YArrayEvent<Y.Map<unknown>>>): boolean {
  let child = item;
  for (let depth = 0; depth < 64; depth++) {
    const parent = child.parent as Y.AbstractType<unknown> | null;
    if (!parent || parent === ycells) return false;
    if (parent._item?.parent === ycells) {
      const key = child.parentSub;
      return key !== null && SERVER_FIELDS.has(key) && !(key === 'outputs' && child === item);
    }
    if (!parent._item) return false;
    child = parent._item;
  }
  return false;
}

/** The items of the document that a delete set covers. */
function* itemsIn(doc: Y.Doc, ds: DeleteSet): Generator<Y.Item> {
  for (const [client, ranges] of ds.clients) {
    const structs = doc.store.clients.get(client);
    if (!structs) continue;
    for (const { clock, len } of ranges) {
      let index = Y.findIndexSS(structs, clock);
      for (; index < structs.length && structs[index].id.clock < clock + len; index++) {
        const struct = structs[index];
        if (struct instanceof Y.Item) yield struct;
      }
    }
  }
}

/** Removes the ids of `items` from a delete set, keeping its ranges sorted. */
function subtract(ds: DeleteSet, items: Y.Item[]): void {
  for (const item of items) {
    const ranges = ds.clients.get(item.id.client);
    if (!ranges) continue;
    const start = item.id.clock;
    const end = start + item.length;
    const kept: typeof ranges = [];
    for (const range of ranges) {
      const rangeEnd = range.clock + range.len;
      if (rangeEnd <= start || range.clock >= end) {
        kept.push(range);
        continue;
      }
      if (range.clock < start) kept.push({ clock: range.clock, len: start - range.clock } as (typeof ranges)[number]);
      if (rangeEnd > end) kept.push({ clock: end, len: rangeEnd - end } as (typeof ranges)[number]);
    }
    ds.clients.set(item.id.client, kept);
  }
}

function deletedCellField(cell: Y.Map<unknown>, key: string): unknown {
  const entry = (cell as unknown as { _map: Map<string, Y.Item> })._map.get(key);
  return entry?.content.getContent()[0];
}

export class CellUndo {
  readonly manager: Y.UndoManager;

  constructor(
    private readonly ycells: Y.Array<Y.Map<unknown>>,
    trackedOrigin: unknown,
  ) {
    this.manager = new Y.UndoManager(ycells, {
      trackedOrigins: new Set([trackedOrigin]),
      captureTimeout: 600,
      deleteFilter: (item) => !isServerOwned(item, ycells),
    });
    this.manager.on('stack-item-added', ({ stackItem }: { stackItem: StackItem }) => this.#recordMove(stackItem));
  }

  undo(): void {
    this.#step(this.manager.undoStack, () => this.manager.undo());
  }

  redo(): void {
    this.#step(this.manager.redoStack, () => this.manager.redo());
  }

  #step(stack: StackItem[], run: () => void): void {
    const top = stack[stack.length - 1];
    const doc = this.ycells.doc;
    if (top && doc && !top.meta.get(MOVED)) {
      subtract(
        top.deletions,
        [...itemsIn(doc, top.deletions)].filter((item) => isServerOwned(item, this.ycells)),
      );
    }
    run();
  }

  /** A step that deleted cells and inserted cells of the same ids and types is a move. */
  #recordMove(stackItem: StackItem): void {
    const doc = this.ycells.doc;
    if (!doc) return;
    const inserted = this.ycells.toArray().filter((cell) => cell._item && Y.isDeleted(stackItem.insertions, cell._item.id));
    const deleted = [...itemsIn(doc, stackItem.deletions)]
      .filter((item) => item.parent === this.ycells && item.content instanceof Y.ContentType)
      .map((item) => (item.content as Y.ContentType).type as Y.Map<unknown>);
    if (inserted.length === 0 || inserted.length !== deleted.length) return;
    const deletedKinds = new Set(deleted.map((cell) => `${deletedCellField(cell, 'id')}\u0000${deletedCellField(cell, 'cell_type')}`));
    if (!inserted.every((cell) => deletedKinds.has(`${cell.get('id')}\u0000${cell.get('cell_type')}`))) return;
    stackItem.meta.set(MOVED, true);
  }
}
