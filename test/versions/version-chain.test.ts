// Versions after the first hold only what changed since the one before; reading one follows
// its chain, and dropping a version (retention) folds it into the next, so later ones still read.

import { expect, test } from 'vitest';
import * as Y from 'yjs';
import { MemoryVersionStore } from '../../server/storage/memory-version-store';
import type { VersionMeta } from '../../server/storage/version-store';
import { dropVersions, readVersionDoc } from '../../server/versions/version-chain';
import { encodeVersionState } from '../../server/versions/version-state';

const meta = (id: string, base: string | null, bytes: number, depth: number): VersionMeta => ({
  id,
  createdAt: new Date(0).toISOString(),
  authors: [],
  label: null,
  reason: 'auto',
  bytes,
  base,
  depth,
});

/** Three versions of a text: a whole state, then two that hold only what changed. */
async function chain(store: MemoryVersionStore): Promise<{ sizes: number[] }> {
  const doc = new Y.Doc();
  const text = doc.getText('t');
  text.insert(0, 'x'.repeat(10_000));
  const whole = await encodeVersionState(doc);
  await store.save('nb', meta('0000000001-a', null, whole.byteLength, 0), whole);
  let since = Y.encodeStateVector(doc);
  text.insert(0, 'second ');
  const second = await encodeVersionState(doc, since);
  await store.save('nb', meta('0000000002-b', '0000000001-a', second.byteLength, 1), second);
  since = Y.encodeStateVector(doc);
  text.delete(0, 7);
  text.insert(0, 'third ');
  const third = await encodeVersionState(doc, since);
  await store.save('nb', meta('0000000003-c', '0000000002-b', third.byteLength, 2), third);
  return { sizes: [whole.byteLength, second.byteLength, third.byteLength] };
}

const textAt = async (store: MemoryVersionStore, id: string) => (await readVersionDoc(store, 'nb', id))?.getText('t').toString().slice(0, 12);

test('each version reads back as the document was, and later ones store only what changed', async () => {
  const store = new MemoryVersionStore();
  const { sizes } = await chain(store);
  expect(await textAt(store, '0000000001-a')).toBe('xxxxxxxxxxxx');
  expect(await textAt(store, '0000000002-b')).toBe('second xxxxx');
  expect(await textAt(store, '0000000003-c')).toBe('third xxxxxx');
  expect(sizes[1]).toBeLessThan(sizes[0]);
  expect(await readVersionDoc(store, 'nb', '0000000009-z')).toBeUndefined();
});

test('dropping the whole state or a middle version keeps every other version readable', async () => {
  const store = new MemoryVersionStore();
  await chain(store);
  await dropVersions(store, 'nb', ['0000000001-a']);
  expect(await textAt(store, '0000000002-b')).toBe('second xxxxx');
  expect((await store.list('nb')).find((v) => v.id === '0000000002-b')?.base).toBeNull();
  await dropVersions(store, 'nb', ['0000000002-b']);
  expect(await textAt(store, '0000000003-c')).toBe('third xxxxxx');
  expect((await store.list('nb')).map((v) => v.id)).toEqual(['0000000003-c']);
});
