import { appendFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
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
  expect(contents.updates.map((u) => [...u])).toEqual([
    [1, 2, 3],
    [4, 5],
  ]);
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

test("the filesystem storage keeps a history's lineage beside its log, in meta.json", async () => {
  const stateDir = dir();
  const history = await new FsDocStorage(stateDir).create({ fileId: 'f', sessionId: 's', createdAt: '' }, Uint8Array.of(0, 0));
  await history.close();
  expect(JSON.parse(readFileSync(join(stateDir, 'docs', 'f', 'meta.json'), 'utf8'))).toMatchObject({ fileId: 'f', sessionId: 's' });
});
