// Reads the content of a shared type that an update creates, from the update's items alone,
// before anything is applied: what a moved cell would hold once integrated. Only the shapes
// that one client builds in one transaction are read (no concurrent inserts to order); for
// anything else the content is unknown, and the caller must treat it as such.

import * as Y from 'yjs';
import type { DecodedUpdate, UpdatePlaces } from './update-places';

export class UnknownContent extends Error {
  override readonly name = 'UnknownContent';
}

/** Whether an id falls in a delete set, whatever order a client wrote its ranges in. */
export function deletedBy(ds: DecodedUpdate['ds']): (client: number, clock: number) => boolean {
  const ranges = new Map<number, { clock: number; len: number }[]>();
  for (const [client, items] of ds.clients)
    ranges.set(
      client,
      [...items].sort((a, b) => a.clock - b.clock),
    );
  return (client, clock) => {
    const list = ranges.get(client);
    if (!list) return false;
    let low = 0;
    let high = list.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const range = list[mid];
      if (clock < range.clock) high = mid - 1;
      else if (clock >= range.clock + range.len) low = mid + 1;
      else return true;
    }
    return false;
  };
}

interface Segment {
  item: Y.Item;
  start: number;
  end: number;
}

export class NewTypeReader {
  constructor(
    private readonly places: UpdatePlaces,
    private readonly deleted: (client: number, clock: number) => boolean,
  ) {}

  /** The JSON of a type created by the update, as Yjs's toJSON would give it once applied. */
  json(typeItem: Y.Item): unknown {
    const type = (typeItem.content as Y.ContentType).type;
    const children = this.places.children.get(typeItem) ?? [];
    if (type instanceof Y.Map) return Object.fromEntries([...this.entries(typeItem)].map(([key, value]) => [key, this.value(value)]));
    if (type instanceof Y.Text) return this.sequence(children, true).join('');
    if (type instanceof Y.Array) return this.sequence(children, false);
    throw new UnknownContent('an unexpected shared type');
  }

  /** The live entries of a new map, each as JSON. */
  entries(typeItem: Y.Item): Map<string, Y.Item> {
    const byKey = new Map<string, Y.Item>();
    for (const child of this.places.children.get(typeItem) ?? []) {
      if (child.parentSub === null || !this.live(child, 0)) continue;
      // Two live values for one key means concurrent writers: Yjs's winner is not read here.
      if (byKey.has(child.parentSub)) throw new UnknownContent('a key written twice');
      byKey.set(child.parentSub, child);
    }
    return byKey;
  }

  /** The JSON of one map value. */
  value(item: Y.Item): unknown {
    const content = item.content;
    if (content instanceof Y.ContentAny || content instanceof Y.ContentJSON) return content.arr[content.arr.length - 1];
    if (content instanceof Y.ContentType) return this.json(item);
    if (content instanceof Y.ContentBinary) return content.content;
    if (content instanceof Y.ContentString) return content.str;
    throw new UnknownContent('an unexpected map value');
  }

  /** Whether a sequence has any live element at all. */
  hasLiveElements(typeItem: Y.Item): boolean {
    return (this.places.children.get(typeItem) ?? []).some(
      (child) => child.parentSub === null && child.content.isCountable() && Array.from({ length: child.length }, (_, k) => k).some((k) => this.live(child, k)),
    );
  }

  private live(item: Y.Item, offset: number): boolean {
    return !(item.content instanceof Y.ContentDeleted) && !this.deleted(item.id.client, item.id.clock + offset);
  }

  /**
   * Orders a new array's or text's items. Written by one client in clock order with nothing
   * concurrent, each item went right after its origin (or first, without one), and that
   * replays exactly.
   */
  private sequence(children: Y.Item[], text: boolean): unknown[] {
    const items = children.filter((child) => child.parentSub === null).sort((a, b) => a.id.clock - b.id.clock);
    if (new Set(items.map((item) => item.id.client)).size > 1) throw new UnknownContent('concurrent inserts');
    const segments: Segment[] = [];
    for (const item of items) {
      let at = 0;
      const origin = item.origin;
      if (origin) {
        const index = segments.findIndex(
          (s) => s.item.id.client === origin.client && origin.clock >= s.item.id.clock + s.start && origin.clock < s.item.id.clock + s.end,
        );
        if (index < 0) throw new UnknownContent('an origin outside the type');
        const found = segments[index];
        const cut = origin.clock - found.item.id.clock + 1;
        if (cut < found.end) segments.splice(index + 1, 0, { item: found.item, start: cut, end: found.end });
        found.end = cut;
        at = index + 1;
      }
      segments.splice(at, 0, { item, start: 0, end: item.length });
    }
    const values: unknown[] = [];
    for (const { item, start, end } of segments) {
      const content = item.content;
      for (let k = start; k < end; k++) {
        if (!this.live(item, k)) continue;
        if (content instanceof Y.ContentString) values.push(content.str[k]);
        else if (content instanceof Y.ContentFormat) continue;
        else if (text) throw new UnknownContent('an embed in a text');
        else if (content instanceof Y.ContentAny || content instanceof Y.ContentJSON) values.push(content.arr[k]);
        else if (content instanceof Y.ContentType) values.push(this.json(item));
        else if (content instanceof Y.ContentBinary) values.push(content.content);
        else throw new UnknownContent('an unexpected array element');
      }
    }
    return values;
  }
}
