// The DocStorage contract, run against every implementation: a new storage is done when this
// suite passes on it too. The S3 ones run against a real S3-compatible server (versitygw), each
// storage under a key prefix of its own.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as Y from 'yjs';
import type { DocStorage } from '../../server/storage/doc-storage';
import { FsDocStorage } from '../../server/storage/fs-doc-storage';
import { FsVersionStore } from '../../server/storage/fs-version-store';
import { MemoryDocStorage } from '../../server/storage/memory-doc-storage';
import { MemoryVersionStore } from '../../server/storage/memory-version-store';
import { Bucket } from '../../server/storage/s3/bucket';
import { S3DocStorage } from '../../server/storage/s3/s3-doc-storage';
import { S3VersionStore } from '../../server/storage/s3/s3-version-store';
import type { VersionMeta, VersionStore } from '../../server/storage/version-store';
import { type S3Server, startS3Server } from '../helpers/s3-server';

let s3: S3Server | undefined;
let prefixes = 0;
beforeAll(async () => {
  s3 = await startS3Server();
}, 60_000);
afterAll(async () => {
  await s3?.stop();
});

function s3Bucket(): Bucket {
  if (!s3) throw new Error('the S3 server did not start');
  prefixes += 1;
  return new Bucket(s3.client(), s3.bucket, `contract-${prefixes}/`);
}

const implementations: [string, () => DocStorage][] = [
  ['filesystem', () => new FsDocStorage(mkdtempSync(join(tmpdir(), 'tandem-docs-')))],
  ['memory', () => new MemoryDocStorage()],
  ['S3', () => new S3DocStorage({ bucket: s3Bucket(), walDir: mkdtempSync(join(tmpdir(), 'tandem-wal-')) })],
];

const versionStores: [string, () => VersionStore][] = [
  ['filesystem', () => new FsVersionStore(mkdtempSync(join(tmpdir(), 'tandem-versions-')))],
  ['memory', () => new MemoryVersionStore()],
  ['S3', () => new S3VersionStore(s3Bucket())],
];

const meta = (fileId: string) => ({ fileId, sessionId: `session-${fileId}`, createdAt: new Date(0).toISOString() });

function replay(updates: Uint8Array[]): Y.Doc {
  const doc = new Y.Doc();
  for (const update of updates) Y.applyUpdate(doc, update);
  return doc;
}

describe.each(implementations)('%s storage', (_name, make) => {
  test('a notebook never stored has no history', async () => {
    const storage = make();
    expect(await storage.load('nothing')).toBeUndefined();
    expect(await storage.list()).toEqual([]);
  });

  test('a history holds its initial state and every update appended, under its sessionId', async () => {
    const storage = make();
    const doc = new Y.Doc();
    doc.getText('t').insert(0, 'start');
    const history = await storage.create(meta('a'), Y.encodeStateAsUpdate(doc));
    doc.on('update', (update: Uint8Array) => history.append(update));
    doc.getText('t').insert(5, ' middle');
    doc.getText('t').insert(12, ' end');
    await history.setSavedHash('abc');
    await history.close();

    const loaded = (await storage.load('a'))!;
    expect(loaded.meta.sessionId).toBe('session-a');
    expect(loaded.history.sessionId).toBe('session-a');
    expect(loaded.history.savedHash).toBe('abc');
    expect(replay(loaded.updates).getText('t').toString()).toBe('start middle end');
    expect(await storage.list()).toEqual(['a']);
    await loaded.history.close();
  });

  test('compaction folds the log and loses nothing appended while it runs', async () => {
    const storage = make();
    const doc = new Y.Doc();
    const history = await storage.create(meta('b'), Y.encodeStateAsUpdate(doc));
    doc.on('update', (update: Uint8Array) => history.append(update));
    for (let i = 0; i < 50; i++) doc.getText('t').insert(0, `${i},`);
    expect(history.logBytes).toBeGreaterThan(0);
    const compacting = history.compact(() => Y.encodeStateAsUpdate(doc));
    doc.getText('t').insert(0, 'during,');
    await compacting;
    doc.getText('t').insert(0, 'after,');
    await history.close();

    const loaded = (await storage.load('b'))!;
    expect(replay(loaded.updates).getText('t').toString()).toBe(doc.getText('t').toString());
    await loaded.history.close();
  });

  test('creating again starts a new lineage with nothing of the old one', async () => {
    const storage = make();
    const old = new Y.Doc();
    old.getText('t').insert(0, 'old lineage');
    const first = await storage.create(meta('c'), Y.encodeStateAsUpdate(old));
    first.append(Y.encodeStateAsUpdate(old));
    await first.close();
    const fresh = new Y.Doc();
    fresh.getText('t').insert(0, 'new');
    const second = await storage.create({ ...meta('c'), sessionId: 'rebuilt' }, Y.encodeStateAsUpdate(fresh));
    await second.close();

    const loaded = (await storage.load('c'))!;
    expect(loaded.meta.sessionId).toBe('rebuilt');
    expect(replay(loaded.updates).getText('t').toString()).toBe('new');
    await loaded.history.close();
  });

  test('a removed notebook has no history', async () => {
    const storage = make();
    await (await storage.create(meta('d'), Y.encodeStateAsUpdate(new Y.Doc()))).close();
    await storage.remove('d');
    expect(await storage.load('d')).toBeUndefined();
    expect(await storage.list()).toEqual([]);
  });

  test('a closed history refuses appends instead of losing them silently', async () => {
    const storage = make();
    const history = await storage.create(meta('e'), Y.encodeStateAsUpdate(new Y.Doc()));
    await history.close();
    expect(() => history.append(Uint8Array.of(0, 0))).toThrow();
  });
});

const version = (id: string, label: string | null = null): VersionMeta => ({
  id,
  createdAt: new Date(parseInt(id.split('-')[0], 36)).toISOString(),
  authors: [{ username: 'ada', name: 'Ada', color: '#123456' }],
  label,
  reason: label ? 'manual' : 'auto',
  bytes: 3,
  base: null,
  depth: 0,
});

describe.each(versionStores)('%s version store', (_name, make) => {
  test('a notebook without versions lists none and reads none', async () => {
    const store = make();
    expect(await store.list('nb')).toEqual([]);
    expect(await store.read('nb', '0000000001-aa')).toBeUndefined();
  });

  test('versions are listed newest first with their facts, and read back byte for byte', async () => {
    const store = make();
    await store.save('nb', version('0000000001-aa'), Uint8Array.of(1, 2, 3));
    await store.save('nb', version('0000000003-cc', 'before lunch'), Uint8Array.of(7, 8, 9));
    await store.save('nb', version('0000000002-bb'), Uint8Array.of(4, 5, 6));
    await store.save('other', version('0000000009-zz'), Uint8Array.of(0));
    const listed = await store.list('nb');
    expect(listed.map((v) => v.id)).toEqual(['0000000003-cc', '0000000002-bb', '0000000001-aa']);
    expect(listed[0]).toEqual(version('0000000003-cc', 'before lunch'));
    expect([...((await store.read('nb', '0000000002-bb')) ?? [])]).toEqual([4, 5, 6]);
    expect(await store.read('nb', '0000000009-zz')).toBeUndefined();
  });

  test('a version saved again under its id is replaced, not listed twice', async () => {
    const store = make();
    await store.save('nb', version('0000000001-aa'), Uint8Array.of(1));
    await store.save('nb', { ...version('0000000001-aa'), base: '0000000000-zz', depth: 1 }, Uint8Array.of(2));
    expect(await store.list('nb')).toEqual([{ ...version('0000000001-aa'), base: '0000000000-zz', depth: 1 }]);
    expect([...((await store.read('nb', '0000000001-aa')) ?? [])]).toEqual([2]);
  });

  test('removed versions are gone, the others stay', async () => {
    const store = make();
    await store.save('nb', version('0000000001-aa'), Uint8Array.of(1));
    await store.save('nb', version('0000000002-bb'), Uint8Array.of(2));
    await store.remove('nb', ['0000000001-aa', '0000000005-unknown']);
    expect((await store.list('nb')).map((v) => v.id)).toEqual(['0000000002-bb']);
    expect(await store.read('nb', '0000000001-aa')).toBeUndefined();
    await store.removeAll('nb');
    expect(await store.list('nb')).toEqual([]);
  });

  test('an id that is not a version id finds nothing, even one shaped like a path', async () => {
    const store = make();
    await store.save('nb', version('0000000001-aa'), Uint8Array.of(1));
    expect(await store.read('nb', '../nb/index')).toBeUndefined();
    expect(await store.read('nb', 'index')).toBeUndefined();
  });

  test('versions saved at once are all kept', async () => {
    const store = make();
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.save('nb', version(`00000000${String(i).padStart(2, '0')}-aa`), Uint8Array.of(i))));
    expect(await store.list('nb')).toHaveLength(20);
  });
});
