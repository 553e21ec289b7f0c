// What a kernel-files sweep (S3FileMirror.sweep) sends to the bucket, counted request by request
// against a real S3-compatible server (versitygw): nothing when nothing changed, a HEAD and a PUT
// per new file, a conditional DELETE per file gone and one DeleteObjects for the folders gone, and
// nothing at all for keys it never saw or for a local directory that is not there.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { Bucket } from '../../server/storage/s3/bucket';
import { S3FileMirror } from '../../server/storage/s3/s3-file-mirror';
import { type S3Server, startS3Server } from '../helpers/s3-server';

let s3: S3Server;
let prefixes = 0;
const dirs: string[] = [];
beforeAll(async () => {
  s3 = await startS3Server();
}, 60_000);
afterAll(async () => {
  await s3?.stop();
});
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const warnings: object[] = [];
const log = { warn: (obj: object) => warnings.push(obj) };

/** A mirror of a new local directory on its own key prefix, counting the requests it sends. */
async function mirror() {
  const requests: string[] = [];
  const prefix = `sweep-${++prefixes}/`;
  const localDir = mkdtempSync(join(tmpdir(), 'tandem-sweep-'));
  dirs.push(localDir);
  const bucket = new Bucket(
    s3.client((operation) => requests.push(operation)),
    s3.bucket,
    prefix,
  );
  const files = new S3FileMirror({ bucket, keyPrefix: 'files/', localDir, conditional: true, log });
  await files.restore();
  requests.length = 0;
  const keys = async () => (await s3.keysUnder(`${prefix}files/`)).map((key) => key.slice(`${prefix}files/`.length)).sort();
  /** The requests one sweep sent, counted by operation. */
  const sweep = async () => {
    requests.length = 0;
    await files.sweep();
    const counts: Record<string, number> = {};
    for (const operation of requests) counts[operation] = (counts[operation] ?? 0) + 1;
    return counts;
  };
  return { localDir, prefix, keys, sweep };
}

function write(dir: string, rel: string, text: string): void {
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), text);
}

test('a sweep costs a HEAD and a PUT per new file, nothing when nothing changed, and a DELETE per file gone plus one DeleteObjects for the folders gone', async () => {
  const { localDir, prefix, keys, sweep } = await mirror();
  for (const rel of ['a.csv', 'keep.csv', 'sub/b.csv', 'sub/deeper/c.csv']) write(localDir, rel, `${rel}\n`);
  expect(await sweep()).toEqual({ HeadObjectCommand: 4, PutObjectCommand: 4 });
  expect(await keys()).toEqual(['a.csv', 'keep.csv', 'sub/b.csv', 'sub/deeper/c.csv']);

  // The cells ran and wrote nothing: no request.
  expect(await sweep()).toEqual({});

  // Another tool adds a file this directory never had: not seen here, so not deleted.
  const client = s3.client();
  await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${prefix}files/sub/pipeline.csv`, Body: 'theirs\n' }));
  client.destroy();
  expect(await sweep()).toEqual({});

  rmSync(join(localDir, 'a.csv'));
  rmSync(join(localDir, 'sub'), { recursive: true });
  expect(await sweep()).toEqual({ DeleteObjectCommand: 3, DeleteObjectsCommand: 1 });
  expect(await keys()).toEqual(['keep.csv', 'sub/pipeline.csv']);
  // What is gone is forgotten: the next sweep asks for nothing.
  expect(await sweep()).toEqual({});
  expect(warnings).toEqual([]);
});

test('a local directory that is gone (a lost or unmounted cache) deletes nothing from the bucket', async () => {
  const { localDir, keys, sweep } = await mirror();
  for (const rel of ['a.csv', 'sub/b.csv']) write(localDir, rel, `${rel}\n`);
  await sweep();
  rmSync(localDir, { recursive: true });
  expect(await sweep()).toEqual({});
  expect(await keys()).toEqual(['a.csv', 'sub/b.csv']);
});
