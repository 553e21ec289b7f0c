// Measures how deeply an update nests what it creates, without applying it: shared types
// one inside another, and plain JSON values (metadata, outputs). A notebook needs four levels
// of types at most, and its JSON rarely nests more than a dozen; an update nesting thousands
// is built to overflow the stack of every recursive reader (toJSON, JSON.stringify,
// structuredClone, Yjs's own garbage collection) and must be refused before it touches a
// document.

import * as Y from 'yjs';
import { nestsDeeperThan } from '../notebook/json-depth';
import { indexItems, type Struct } from './update-places';

/** The deepest chain of shared types that the update creates one inside another. */
export function newTypeNesting(structs: Struct[]): number {
  const find = indexItems(structs);

  // The type an item lives in, if that type is created by this same update. An item names
  // its parent directly, or shares it with the neighbour it was inserted next to.
  const parentMemo = new Map<Y.Item, Y.Item | null>();
  const parentInUpdate = (start: Y.Item): Y.Item | null => {
    const path: Y.Item[] = [];
    let item: Y.Item | undefined = start;
    let found: Y.Item | null = null;
    while (item) {
      const known = parentMemo.get(item);
      if (known !== undefined) {
        found = known;
        break;
      }
      path.push(item);
      if (item.parent !== null) {
        const parent = typeof item.parent === 'string' ? undefined : find(item.parent as unknown as Y.ID);
        found = parent && parent.content instanceof Y.ContentType ? parent : null;
        break;
      }
      const next: Y.Item | undefined = find(item.origin) ?? find(item.rightOrigin);
      if (!next || path.includes(next)) break;
      item = next;
    }
    for (const visited of path) parentMemo.set(visited, found);
    return found;
  };

  const depthMemo = new Map<Y.Item, number>();
  let deepest = 0;
  for (const item of structs) {
    if (!(item instanceof Y.Item) || !(item.content instanceof Y.ContentType)) continue;
    const chain: Y.Item[] = [];
    let current: Y.Item | null = item;
    let base = 0;
    while (current) {
      const known = depthMemo.get(current);
      if (known !== undefined) {
        base = known;
        break;
      }
      if (chain.includes(current)) break;
      chain.push(current);
      current = parentInUpdate(current);
    }
    for (let i = chain.length - 1; i >= 0; i--) depthMemo.set(chain[i], base + chain.length - i);
    deepest = Math.max(deepest, depthMemo.get(item)!);
  }
  return deepest;
}

/** Whether any plain JSON value in the update nests deeper than `limit`. Iterative. */
export function jsonNestsDeeper(structs: Struct[], limit: number): boolean {
  for (const struct of structs) {
    if (!(struct instanceof Y.Item)) continue;
    const content = struct.content as { arr?: unknown[]; embed?: unknown; value?: unknown };
    const values =
      content instanceof Y.ContentAny
        ? (content.arr ?? [])
        : content instanceof Y.ContentEmbed
          ? [content.embed]
          : content instanceof Y.ContentFormat
            ? [content.value]
            : [];
    for (const value of values) if (nestsDeeperThan(value, limit)) return true;
  }
  return false;
}
