// What the S3 history must do beyond the DocStorage contract (DESIGN.md section 8): kill -9
// loses nothing, a stale writer is refused without losing anything, and an idle or closed
// notebook costs no writes. Runs against a real S3-compatible server (versitygw); requests are
// counted by a middleware on the SDK client.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import * as Y from 'yjs';
import { Bucket, StaleObjectError } from '../../server/storage/s3/bucket';
import { S3DocStorage, type S3DocStorageOptions } from '../../server/storage/s3/s3-doc-storage';
import { type S3Server, startS3Server } from '../helpers/s3-server';

let s3: S3Server;
let prefixes = 0;
beforeAll(async () => {
  s3 = await startS3Server();
}, 60_000);
afterAll(async () => {
  await s3?.stop();
});

const meta = (fileId: string) => ({ fileId, sessionId: `session-${fileId}`, createdAt: new Date(0).toISOString() });
const newWalDir = () => mkdtempSync(join(tmpdir(), 'tandem-wal-'));

/** A storage on its own key prefix (or a given one, to share it), counting the requests it sends. */
function storage(options: { prefix?: string; walDir?: string } & Partial<S3DocStorageOptions> = {}) {
  const requests: string[] = [];
  const prefix = options.prefix ?? `s3-test-${++prefixes}/`;
  const bucket = new Bucket(
    s3.client((operation) => requests.push(operation)),
    s3.bucket,
    prefix,
  );
  const made = new S3DocStorage({ shipIntervalMs: 50, ...options, bucket, walDir: options.walDir ?? newWalDir() });
  return { storage: made, requests, prefix };
}

function text(updates: Uint8Array[]): string {
  const doc = new Y.Doc();
  for (const update of updates) Y.applyUpdate(doc, update);
  return doc.getText('t').toString();
}

/** Waits several ship intervals: long enough for any scheduled ship to have been sent. */
const severalShipIntervals = () => new Promise((r) => setTimeout(r, 1000));

test('kill -9 before the log was shipped loses nothing: a restart on the same disk replays it', async () => {
  const walDir = newWalDir();
  // A ship interval of an hour: nothing reaches the bucket before the "kill".
  const killed = storage({ walDir, shipIntervalMs: 3_600_000 });
  const doc = new Y.Doc();
  const history = await killed.storage.create(meta('nb'), Y.encodeStateAsUpdate(doc));
  doc.on('update', (update: Uint8Array) => history.append(update));
  for (const word of ['one ', 'two ', 'three']) doc.getText('t').insert(doc.getText('t').length, word);
  // Dropped without close, as kill -9 would: only the local write-ahead log has the edits.

  const lostDisk = storage({ prefix: killed.prefix });
  const fromBucketOnly = (await lostDisk.storage.load('nb'))!;
  expect(text(fromBucketOnly.updates)).toBe('');
  await fromBucketOnly.history.close();

  const restarted = storage({ prefix: killed.prefix, walDir });
  const loaded = (await restarted.storage.load('nb'))!;
  expect(text(loaded.updates)).toBe('one two three');
  // Once restarted, the replayed log is shipped: now the bucket alone has everything.
  await loaded.history.close();
  const elsewhere = (await storage({ prefix: killed.prefix }).storage.load('nb'))!;
  expect(text(elsewhere.updates)).toBe('one two three');
  await elsewhere.history.close();
});

test('a stale writer is refused by the conditional write, and a reload merges its edits with the newer ones', async () => {
  const first = storage();
  const secondWal = newWalDir();
  const second = storage({ prefix: first.prefix, walDir: secondWal });
  const docA = new Y.Doc();
  const historyA = await first.storage.create(meta('nb'), Y.encodeStateAsUpdate(docA));
  const loadedB = (await second.storage.load('nb'))!;
  const docB = new Y.Doc();
  for (const update of loadedB.updates) Y.applyUpdate(docB, update);
  docA.on('update', (update: Uint8Array) => historyA.append(update));
  docB.on('update', (update: Uint8Array) => loadedB.history.append(update));

  docA.getText('t').insert(0, 'from A;');
  await historyA.compact(() => Y.encodeStateAsUpdate(docA));
  docB.getText('t').insert(0, 'from B;');
  // B still holds the head's old ETag: neither its metadata nor its compaction may replace A's.
  await expect(loadedB.history.setSavedHash('b')).rejects.toBeInstanceOf(StaleObjectError);
  await expect(loadedB.history.compact(() => Y.encodeStateAsUpdate(docB))).rejects.toBeInstanceOf(StaleObjectError);
  await loadedB.history.close();
  await historyA.close();

  const reloaded = (await storage({ prefix: first.prefix, walDir: secondWal }).storage.load('nb'))!;
  const merged = text(reloaded.updates);
  expect(merged).toContain('from A;');
  expect(merged).toContain('from B;');
  await reloaded.history.close();
  const elsewhere = (await storage({ prefix: first.prefix }).storage.load('nb'))!;
  expect(text(elsewhere.updates)).toBe(merged);
  await elsewhere.history.close();
});

test('a stale writer shipping its log is refused too, and keeps the edits for the reload', async () => {
  const first = storage();
  const secondWal = newWalDir();
  const errors: unknown[] = [];
  const second = storage({ prefix: first.prefix, walDir: secondWal, onShipError: (_fileId, error) => errors.push(error) });
  const historyA = await first.storage.create(meta('nb'), Y.encodeStateAsUpdate(new Y.Doc()));
  const loadedB = (await second.storage.load('nb'))!;
  const docA = new Y.Doc();
  docA.on('update', (update: Uint8Array) => historyA.append(update));
  const docB = new Y.Doc();
  docB.on('update', (update: Uint8Array) => loadedB.history.append(update));

  docA.getText('t').insert(0, 'from A;');
  await historyA.close();
  docB.getText('t').insert(0, 'from B;');
  // Both writers would write log chunk 0: the second one's If-None-Match: * is refused.
  await loadedB.history.close();
  expect(errors).toHaveLength(1);
  expect(errors[0]).toBeInstanceOf(StaleObjectError);

  const reloaded = (await storage({ prefix: first.prefix, walDir: secondWal }).storage.load('nb'))!;
  expect(text(reloaded.updates)).toContain('from A;');
  expect(text(reloaded.updates)).toContain('from B;');
  await reloaded.history.close();
});

test('a compaction leaves one state and no shipped log chunk behind in the bucket', async () => {
  const { storage: made, prefix } = storage();
  const doc = new Y.Doc();
  const history = await made.create(meta('nb'), Y.encodeStateAsUpdate(doc));
  doc.on('update', (update: Uint8Array) => history.append(update));
  const bucket = new Bucket(s3.client(), s3.bucket, prefix);
  doc.getText('t').insert(0, 'first;');
  await vi.waitFor(async () => expect((await bucket.list('docs/nb/')).filter((key) => key.includes('/log-'))).toHaveLength(1));
  doc.getText('t').insert(0, 'second;');
  await vi.waitFor(async () => expect((await bucket.list('docs/nb/')).filter((key) => key.includes('/log-'))).toHaveLength(2));

  await history.compact(() => Y.encodeStateAsUpdate(doc));
  const keys = await bucket.list('docs/nb/');
  expect(keys.filter((key) => key.includes('/log-'))).toEqual([]);
  expect(keys.filter((key) => key.includes('/state-'))).toHaveLength(1);
  await history.close();
  const loaded = (await storage({ prefix }).storage.load('nb'))!;
  expect(text(loaded.updates)).toBe('second;first;');
  await loaded.history.close();
});

test('many appends in one interval are shipped as one request, and an idle open history makes none', async () => {
  const { storage: made, requests } = storage();
  const doc = new Y.Doc();
  const history = await made.create(meta('nb'), Y.encodeStateAsUpdate(doc));
  doc.on('update', (update: Uint8Array) => history.append(update));
  requests.length = 0;
  for (let i = 0; i < 100; i++) doc.getText('t').insert(0, `${i},`);
  await vi.waitFor(() => expect(requests).toEqual(['PutObjectCommand']));

  requests.length = 0;
  await severalShipIntervals();
  expect(requests).toEqual([]);
  await history.close();
});

test('a notebook opened, compacted on unload and closed without edits only reads', async () => {
  const { storage: made, prefix } = storage();
  await (await made.create(meta('nb'), Y.encodeStateAsUpdate(new Y.Doc()))).close();
  const reader = storage({ prefix });
  const loaded = (await reader.storage.load('nb'))!;
  await loaded.history.compact(() => Y.encodeStateAsUpdate(new Y.Doc()));
  await loaded.history.close();
  expect(reader.requests.length).toBeGreaterThan(0);
  expect(reader.requests.filter((operation) => operation !== 'GetObjectCommand')).toEqual([]);
});

test('a closed notebook makes no request', async () => {
  const { storage: made, requests } = storage();
  const doc = new Y.Doc();
  const history = await made.create(meta('nb'), Y.encodeStateAsUpdate(doc));
  doc.on('update', (update: Uint8Array) => history.append(update));
  doc.getText('t').insert(0, 'typed just before closing');
  await history.close();
  requests.length = 0;
  await severalShipIntervals();
  expect(requests).toEqual([]);
  expect(() => history.append(Uint8Array.of(0, 0))).toThrow();
});
