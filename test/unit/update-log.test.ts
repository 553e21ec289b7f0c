import { appendFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import * as Y from 'yjs';
import { FsDocStorage } from '../../server/storage/fs-doc-storage';
import { frameRecord, readLog, UpdateLog } from '../../server/storage/update-log';

const dir = () => mkdtempSync(join(tmpdir(), 'tandem-log-'));

test('a record torn by a crash is cut off and everything before it is kept', () => {
  const path = join(dir(), 'log.0.bin');
  const log = new UpdateLog(path, 0);
  log.append(Uint8Array.from([1, 2, 3]));
  log.append(Uint8Array.from([4, 5]));
  log.close();
  const intact = statSync(path).size;
  appendFileSync(path, frameRecord(Uint8Array.from([6, 7, 8, 9])).subarray(0, 10));
  const contents = readLog(path);
  expect(contents.updates.map((u) => [...u])).toEqual([[1, 2, 3], [4, 5]]);
  expect(contents.validBytes).toBe(intact);
  expect(contents.tornBytes).toBe(10);
  new UpdateLog(path, contents.validBytes).close();
  expect(statSync(path).size).toBe(intact);
});

test('a record whose checksum does not match ends the log', () => {
  const path = join(dir(), 'log.0.bin');
  const good = frameRecord(Uint8Array.from([1]));
  const bad = frameRecord(Uint8Array.from([2, 2]));
  bad[bad.length - 1] ^= 0xff;
  writeFileSync(path, Buffer.concat([good, bad, frameRecord(Uint8Array.from([3]))]));
  expect(readLog(path).updates.map((u) => [...u])).toEqual([[1]]);
});

test('compaction folds the logs into one snapshot and loses nothing appended meanwhile', async () => {
  const stateDir = dir();
  const store = new FsDocStorage(stateDir);
  const doc = new Y.Doc();
  doc.getText('t').insert(0, 'start');
  const history = await store.create({ fileId: 'f', sessionId: 's', createdAt: '' }, Y.encodeStateAsUpdate(doc));
  doc.on('update', (update: Uint8Array) => history.append(update));
  for (let i = 0; i < 50; i++) doc.getText('t').insert(0, `${i},`);
  const compacting = history.compact(() => Y.encodeStateAsUpdate(doc));
  doc.getText('t').insert(0, 'during,');
  await compacting;
  doc.getText('t').insert(0, 'after,');
  await history.close();

  const loaded = (await store.load('f'))!;
  const again = new Y.Doc();
  loaded.updates.forEach((u) => Y.applyUpdate(again, u));
  expect(again.getText('t').toString()).toBe(doc.getText('t').toString());
  expect(loaded.meta.sessionId).toBe('s');
  const logs = readFileSync(join(stateDir, 'docs', 'f', 'meta.json'), 'utf8');
  expect(JSON.parse(logs).fileId).toBe('f');
  await loaded.history.close();
});
