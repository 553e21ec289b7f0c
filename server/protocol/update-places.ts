// Where the items of a Yjs update would land, worked out before it is applied: under which
// top-level type, and by which chain of keys and array positions. The guard needs this to
// refuse a write to server-owned fields whole, without letting the document see it first,
// since Yjs cannot take an applied update back.

import * as Y from 'yjs';

export type DecodedUpdate = ReturnType<typeof Y.decodeUpdate>;
export type Struct = DecodedUpdate['structs'][number];

/** A shared type an item lives in: one already in the document, or one this update creates. */
export type Node = { kind: 'existing'; type: Y.AbstractType<unknown> } | { kind: 'new'; item: Y.Item };

/** One level of a path from a top-level type: the key (null inside an array or text) and the type there, if it is one. */
export interface Step {
  key: string | null;
  node: Node | null;
}

/**
 * Where an item sits: its top-level type and the steps down to the item itself (the last
 * step). `gone` is an item inserted into a type that is deleted: Yjs drops it. `missing`
 * is an item that refers to something neither the document nor the update holds: Yjs would
 * park it as pending, and pending structs are sent to every client that joins.
 */
export type Place = { root: string; steps: Step[] } | 'gone' | 'missing';

/** Finds an update's items by id (binary search in each client's run of structs). */
export function indexItems(structs: Struct[]): (id: Y.ID | null) => Y.Item | undefined {
  const byClient = new Map<number, Y.Item[]>();
  for (const struct of structs) {
    if (!(struct instanceof Y.Item)) continue;
    const list = byClient.get(struct.id.client) ?? [];
    list.push(struct);
    byClient.set(struct.id.client, list);
  }
  for (const list of byClient.values()) list.sort((a, b) => a.id.clock - b.id.clock);
  return (id) => {
    if (!id) return undefined;
    const list = byClient.get(id.client);
    if (!list) return undefined;
    let low = 0;
    let high = list.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const item = list[mid];
      if (id.clock < item.id.clock) high = mid - 1;
      else if (id.clock >= item.id.clock + item.length) low = mid + 1;
      else return item;
    }
    return undefined;
  };
}

/** The struct of the document that holds `id`, if the document has it. */
export function findInDoc(doc: Y.Doc, id: Y.ID | null): Y.Item | Y.GC | undefined {
  if (!id) return undefined;
  const structs = doc.store.clients.get(id.client);
  if (!structs || id.clock >= Y.getState(doc.store, id.client)) return undefined;
  const struct = structs[Y.findIndexSS(structs, id.clock)];
  return struct instanceof Y.Item || struct instanceof Y.GC ? struct : undefined;
}

/** The steps from the top-level type down to an integrated type, and that type's name. */
export function placeOfType(type: Y.AbstractType<unknown>): Place {
  const steps: Step[] = [];
  let current = type;
  while (current._item) {
    if (current._item.deleted) return 'gone';
    steps.push({ key: current._item.parentSub, node: { kind: 'existing', type: current } });
    current = current._item.parent as Y.AbstractType<unknown>;
  }
  const root = Y.findRootTypeKey(current);
  return { root, steps: steps.reverse() };
}

/** The place of an item already in the document. */
export function placeOfExisting(item: Y.Item): Place {
  const parent = placeOfType(item.parent as Y.AbstractType<unknown>);
  if (typeof parent === 'string') return parent;
  const node: Node | null = item.content instanceof Y.ContentType ? { kind: 'existing', type: item.content.type as Y.AbstractType<unknown> } : null;
  return { root: parent.root, steps: [...parent.steps, { key: item.parentSub, node }] };
}

/** Resolves the places of an update's new items against the document, memoised. */
export class UpdatePlaces {
  private readonly find: (id: Y.ID | null) => Y.Item | undefined;
  private readonly memo = new Map<Y.Item, Place>();
  /** The new items created directly inside each new type, for reading that type's content. */
  readonly children = new Map<Y.Item, Y.Item[]>();

  constructor(
    private readonly doc: Y.Doc,
    structs: Struct[],
  ) {
    this.find = indexItems(structs);
  }

  /**
   * Where a new item of the update lands. Items typed one after another each name the last
   * as their neighbour, so chains run as long as the update: resolved with a stack, not by
   * recursion.
   */
  placeOf(item: Y.Item): Place {
    const pending: Y.Item[] = [item];
    const waiting = new Set<Y.Item>();
    while (pending.length) {
      const current = pending[pending.length - 1];
      if (this.memo.has(current)) {
        pending.pop();
        continue;
      }
      const dependency = this.dependencyOf(current);
      if (dependency && !this.memo.has(dependency)) {
        if (waiting.has(dependency)) {
          // A hostile update can make items name each other; a cycle is unresolvable.
          this.memo.set(current, 'missing');
          pending.pop();
        } else {
          waiting.add(current);
          pending.push(dependency);
        }
        continue;
      }
      this.memo.set(current, this.resolve(current, dependency));
      pending.pop();
    }
    return this.memo.get(item)!;
  }

  /** The item of this update that an item takes its parent from, if it takes it from one. */
  private dependencyOf(item: Y.Item): Y.Item | undefined {
    const parent = item.parent as unknown;
    if (typeof parent === 'string') return undefined;
    // The document first: an update may repeat items the server already has, and a type
    // the document holds must be judged as the existing type it is.
    const id = parent instanceof Y.ID ? parent : (item.origin ?? item.rightOrigin);
    return findInDoc(this.doc, id) ? undefined : this.find(id);
  }

  private resolve(item: Y.Item, dependency: Y.Item | undefined): Place {
    const parent = item.parent as unknown;
    let base: Place;
    let key = item.parentSub;
    if (typeof parent === 'string') {
      base = { root: parent, steps: [] };
    } else if (parent instanceof Y.ID) {
      if (dependency) {
        if (!(dependency.content instanceof Y.ContentType)) return 'gone';
        base = this.memo.get(dependency)!;
        if (typeof base !== 'string') this.addChild(dependency, item);
      } else {
        const inDoc = findInDoc(this.doc, parent);
        if (!inDoc) return 'missing';
        if (inDoc instanceof Y.GC || !(inDoc.content instanceof Y.ContentType) || inDoc.deleted) return 'gone';
        base = placeOfType(inDoc.content.type as Y.AbstractType<unknown>);
      }
    } else if (dependency) {
      // No parent written: the item shares its parent (and map key) with a neighbour.
      const place = this.memo.get(dependency)!;
      if (typeof place === 'string') return place;
      key = place.steps[place.steps.length - 1].key;
      base = { root: place.root, steps: place.steps.slice(0, -1) };
      const owner = base.steps[base.steps.length - 1]?.node;
      if (owner?.kind === 'new') this.addChild(owner.item, item);
    } else {
      const inDoc = findInDoc(this.doc, item.origin ?? item.rightOrigin);
      if (!inDoc) return 'missing';
      if (inDoc instanceof Y.GC) return 'gone';
      key = inDoc.parentSub;
      base = placeOfType(inDoc.parent as Y.AbstractType<unknown>);
    }
    if (typeof base === 'string') return base;
    const node: Node | null = item.content instanceof Y.ContentType ? { kind: 'new', item } : null;
    return { root: base.root, steps: [...base.steps, { key, node }] };
  }

  private addChild(parent: Y.Item, child: Y.Item): void {
    const list = this.children.get(parent) ?? [];
    list.push(child);
    this.children.set(parent, list);
  }
}
