import { expect, test } from 'vitest';
import * as Y from 'yjs';
import { jsonNestsDeeper, newTypeNesting } from '../../server/protocol/update-shape';

function updateOf(change: (doc: Y.Doc) => void, base?: Y.Doc): Uint8Array {
  const doc = new Y.Doc();
  if (base) Y.applyUpdate(doc, Y.encodeStateAsUpdate(base));
  const before = Y.encodeStateVector(doc);
  change(doc);
  return Y.encodeStateAsUpdate(doc, before);
}

const nesting = (update: Uint8Array) => newTypeNesting(Y.decodeUpdate(update).structs);

test('a new code cell with a stream output nests four levels', () => {
  const update = updateOf((doc) => {
    const cell = new Y.Map<unknown>();
    const outputs = new Y.Array<unknown>();
    const output = new Y.Map<unknown>();
    output.set('text', new Y.Text('hi'));
    outputs.push([output]);
    cell.set('source', new Y.Text('print(1)'));
    cell.set('metadata', new Y.Map());
    cell.set('outputs', outputs);
    doc.getArray('cells').push([cell]);
  });
  expect(nesting(update)).toBe(4);
});

test('typing into an existing cell creates no types', () => {
  const base = new Y.Doc();
  const cell = new Y.Map<unknown>();
  cell.set('source', new Y.Text('x'));
  base.getArray('cells').push([cell]);
  const update = updateOf((doc) => ((doc.getArray('cells').get(0) as Y.Map<unknown>).get('source') as Y.Text).insert(1, ' = 1'), base);
  expect(nesting(update)).toBe(0);
});

test('maps nested a thousand deep are measured, however their items are linked', () => {
  const update = updateOf((doc) => {
    let map = doc.getMap('root');
    for (let i = 0; i < 1000; i++) {
      const next = new Y.Map<unknown>();
      map.set('a', next);
      map.set('b', i); // siblings linked by origin, not by an explicit parent
      map = next;
    }
  });
  expect(nesting(update)).toBe(1000);
});

test('plain JSON values nested deeper than any notebook are found', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 1000; i++) deep = [deep];
  const hostile = updateOf((doc) => doc.getMap('meta').set('metadata', deep));
  const ordinary = updateOf((doc) => doc.getMap('meta').set('metadata', { kernelspec: { name: 'python3' }, tags: ['a'] }));
  expect(jsonNestsDeeper(Y.decodeUpdate(hostile).structs, 128)).toBe(true);
  expect(jsonNestsDeeper(Y.decodeUpdate(ordinary).structs, 128)).toBe(false);
});
