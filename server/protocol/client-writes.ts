// What a client may write to the shared notebook (DESIGN.md section 3), judged on an update
// before it is applied. Only the server writes outputs, execution counts, execution state
// and its own top-level maps; a client update that touches them, or creates a top-level type
// the schema does not name, is refused whole. Clearing is the one exception: a client may
// remove whole output entries and reset a cell's execution count to null, as Jupyter's
// "Clear Outputs" does (JupyterLab's own client resets the count too, so refusing the reset
// would refuse its clear). A new cell must come without outputs or a count, unless it is a
// cell moved within the update: Yjs cannot move, so @jupyter/ydoc's moveCells and Tandem's
// client delete the cell and insert a copy in one transaction. Such a copy keeps what the
// deleted cell of the same id holds on the server. A copy made while the server was still
// writing that cell's outputs (a move during a run) is stale through no fault of the client,
// and refusing it would cut the client off (nothing of it that follows could apply); so it is
// admitted and its outputs, count and state are then set to the server's own, in the same
// broadcast. Either way what ends up in the cell is what the server wrote, never the client.

import { equalityDeep } from 'lib0/function';
import * as Y from 'yjs';
import { SERVER_OWNED_ROOTS } from '../../common/doc-schema';
import type { OutputJSON } from '../../common/nbformat';
import { outputToYMap } from '../notebook/cell-model';
import { deletedBy, NewTypeReader, UnknownContent } from './new-type-content';
import { type DecodedUpdate, findInDoc, type Place, placeOfExisting, UpdatePlaces } from './update-places';

/** Top-level types that clients write: YNotebook's `cells` and `meta`, YDocument's `state`. */
const CLIENT_ROOTS = new Set(['cells', 'meta', 'state']);
const SERVER_ROOTS = new Set<string>(SERVER_OWNED_ROOTS);
/** A cell's fields that only the server writes. */
const SERVER_FIELDS = new Set(['outputs', 'execution_count', 'execution_state']);

export const MISSING = 'refused: the change depends on changes the server does not have (an earlier change was refused?); reload the notebook';

/** A moved cell's copy whose server-owned fields must be set back to the server's values once applied. */
export interface StaleCopy {
  /** The id of the copy's Y.Map item. */
  item: Y.ID;
  /** Each differing field's value on the server (undefined: absent), outputs as JSON. */
  fields: Map<string, unknown>;
}

export type Verdict = { refusal: string } | { refusal?: undefined; staleCopies: StaleCopy[] };

/** Why a client's update must be refused, or undefined when it may be applied. */
export function refusalOf(doc: Y.Doc, update: DecodedUpdate): string | undefined {
  return judgeClientUpdate(doc, update).refusal;
}

/** Whether a client's update may be applied, and what of it must then be set back to the server's. */
export function judgeClientUpdate(doc: Y.Doc, { structs, ds }: DecodedUpdate): Verdict {
  const refused = (refusal: string): Verdict => ({ refusal });
  const places = new UpdatePlaces(doc, structs);
  const deleted = deletedBy(ds);
  const reader = new NewTypeReader(places, deleted);
  const isDeleted = (id: Y.ID) => deleted(id.client, id.clock);

  // Yjs parks what follows a gap in a client's clocks as pending, and pending structs go out
  // to every client that joins: an update must continue exactly from what the server has.
  const updateEnd = new Map<number, number>();
  const first = new Map<number, number>();
  for (const struct of structs) {
    if (struct instanceof Y.Skip) return refused(MISSING);
    const { client, clock } = struct.id;
    first.set(client, Math.min(first.get(client) ?? Infinity, clock));
    updateEnd.set(client, Math.max(updateEnd.get(client) ?? 0, clock + struct.length));
  }
  for (const [client, clock] of first) if (clock > Y.getState(doc.store, client)) return refused(MISSING);

  const newCells: Y.Item[] = [];
  const resets = new Set<Y.AbstractType<unknown>>();
  for (const struct of structs) {
    if (!(struct instanceof Y.Item)) continue;
    if (struct.id.clock + struct.length <= Y.getState(doc.store, struct.id.client)) continue;
    const place = places.placeOf(struct);
    if (place === 'missing') return refused(MISSING);
    if (place === 'gone') continue;
    const refusal = rootRefusal(place.root);
    if (refusal) return refused(refusal);
    if (place.root !== 'cells') continue;
    const { steps } = place;
    if (steps.length === 1) {
      if (struct.content instanceof Y.ContentType && struct.content.type instanceof Y.Map && !isDeleted(struct.id)) newCells.push(struct);
      continue;
    }
    const field = steps[1].key;
    if (field === null || !SERVER_FIELDS.has(field)) continue;
    const cell = steps[0].node;
    if (cell?.kind === 'new') continue; // judged with its cell, below
    if (cell && steps.length === 2 && field === 'execution_count' && isNull(struct)) {
      resets.add(cell.type);
      continue;
    }
    return refused(`refused: a cell's ${field} is written only by the server`);
  }

  const deletedCells = new Map<unknown, Y.Map<unknown>>();
  for (const [client, ranges] of ds.clients) {
    const state = Y.getState(doc.store, client);
    for (const { clock, len } of ranges) {
      if (clock + len > Math.max(state, updateEnd.get(client) ?? 0)) return refused(MISSING);
      for (let at = clock; at < Math.min(clock + len, state); ) {
        const struct = findInDoc(doc, Y.createID(client, at));
        if (!struct) break;
        at = struct.id.clock + struct.length;
        if (!(struct instanceof Y.Item) || struct.deleted) continue;
        const refusal = deletionRefusal(placeOfExisting(struct), struct, isDeleted, resets, deletedCells);
        if (refusal) return refused(refusal);
      }
    }
  }

  const staleCopies: StaleCopy[] = [];
  for (const cell of newCells) {
    const refusal = newCellRefusal(cell, reader, deletedCells, staleCopies);
    if (refusal) return refused(refusal);
  }
  return { staleCopies };
}

/** Sets stale copies' server-owned fields to the server's values; run as the server, after the update. */
export function restoreStaleCopies(doc: Y.Doc, copies: StaleCopy[]): void {
  for (const { item, fields } of copies) {
    const struct = findInDoc(doc, item);
    if (!(struct instanceof Y.Item) || struct.deleted || !(struct.content instanceof Y.ContentType)) continue;
    const cell = struct.content.type;
    if (!(cell instanceof Y.Map)) continue;
    for (const [field, value] of fields) {
      const current = cell.get(field);
      if (field === 'outputs' && current instanceof Y.Array) {
        // In place: YNotebook clients hold on to a cell's outputs array.
        current.delete(0, current.length);
        current.insert(0, ((value ?? []) as OutputJSON[]).map(outputToYMap));
      } else if (value === undefined) cell.delete(field);
      else if (field === 'outputs') cell.set(field, Y.Array.from((value as OutputJSON[]).map(outputToYMap)));
      else cell.set(field, value);
    }
  }
}

/** A field's value, with absence read as the clean value it stands for. */
function orClean(field: string, value: unknown): unknown {
  if (value !== undefined) return value;
  return field === 'outputs' ? [] : field === 'execution_count' ? null : 'idle';
}

function rootRefusal(root: string): string | undefined {
  if (SERVER_ROOTS.has(root)) return `refused: the ${root} map is written only by the server`;
  if (!CLIENT_ROOTS.has(root)) return `refused: "${root}" is not part of the notebook schema`;
  return undefined;
}

function isNull(item: Y.Item): boolean {
  const content = item.content;
  return (content instanceof Y.ContentAny || content instanceof Y.ContentJSON) && content.arr.length === 1 && content.arr[0] === null;
}

/**
 * Deleting a cell, or whole output entries, is allowed, and so is all that goes with them;
 * so is the old count that a reset replaces. Any other deletion in a server-owned field
 * changes what the server wrote.
 */
function deletionRefusal(
  place: Place,
  item: Y.Item,
  isDeleted: (id: Y.ID) => boolean,
  resets: Set<Y.AbstractType<unknown>>,
  deletedCells: Map<unknown, Y.Map<unknown>>,
): string | undefined {
  if (typeof place === 'string') return undefined;
  if (SERVER_ROOTS.has(place.root)) return `refused: the ${place.root} map is written only by the server`;
  if (place.root !== 'cells') return undefined;
  const { steps } = place;
  const cell = steps[0].node;
  if (steps.length === 1) {
    if (item.content instanceof Y.ContentType && item.content.type instanceof Y.Map) {
      const map = item.content.type as Y.Map<unknown>;
      deletedCells.set(map.get('id'), map);
    }
    return undefined;
  }
  const field = steps[1].key;
  if (field === null || !SERVER_FIELDS.has(field)) return undefined;
  const enclosingGoes = steps.slice(0, -1).some((step) => {
    const owner = step.node?.kind === 'existing' ? step.node.type._item : null;
    return owner !== null && isDeleted(owner.id);
  });
  if (enclosingGoes) return undefined;
  if (field === 'outputs' && steps.length === 3) return undefined;
  if (field === 'execution_count' && steps.length === 2 && cell?.kind === 'existing' && resets.has(cell.type)) return undefined;
  return `refused: a cell's ${field} is written only by the server (a client may only clear outputs)`;
}

/** A new cell comes clean, or is the copy of a cell of its id that the update deletes (a move). */
function newCellRefusal(cell: Y.Item, reader: NewTypeReader, deletedCells: Map<unknown, Y.Map<unknown>>, staleCopies: StaleCopy[]): string | undefined {
  try {
    const entries = reader.entries(cell);
    const kept = [...SERVER_FIELDS].filter((field) => {
      const entry = entries.get(field);
      if (!entry) return false;
      if (field === 'outputs') return !(entry.content instanceof Y.ContentType && entry.content.type instanceof Y.Array && !reader.hasLiveElements(entry));
      const value = reader.value(entry);
      return field === 'execution_count' ? value !== null : value !== 'idle';
    });
    if (kept.length === 0) return undefined;
    const idEntry = entries.get('id');
    const twin = idEntry ? deletedCells.get(reader.value(idEntry)) : undefined;
    if (!twin) return `refused: a new cell cannot bring its own ${kept.join(' and ')}; only the server writes them`;
    // One deleted cell vouches for one copy.
    deletedCells.delete(reader.value(idEntry!));
    const stale = new Map<string, unknown>();
    for (const field of SERVER_FIELDS) {
      const held = twin.get(field);
      const server = held instanceof Y.AbstractType ? held.toJSON() : held;
      const entry = entries.get(field);
      if (!equalityDeep(orClean(field, entry ? reader.value(entry) : undefined), orClean(field, server))) stale.set(field, server);
    }
    if (stale.size) staleCopies.push({ item: cell.id, fields: stale });
    return undefined;
  } catch (error) {
    if (error instanceof UnknownContent) return `refused: a new cell whose outputs cannot be checked (${error.message})`;
    throw error;
  }
}
