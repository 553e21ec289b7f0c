// With `--storage s3://...`, what a cell deletes or renames in the root is deleted or renamed in
// the bucket when the kernel goes idle (the kernel-files sweep), so it does not come back when an
// empty cache is filled again. Only what the server saw and is gone goes: a file another tool
// added, or changed, in the bucket meanwhile is kept. Real versitygw, a real kernel.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { cleanedAfterEach } from '../helpers/cleanup';
import { connectNotebook, eventually } from '../helpers/clients';
import { execute, waitForRun } from '../helpers/execution';
import { makeNotebook } from '../helpers/notebooks';
import { useS3Server } from '../helpers/s3-server';
import { removeRoot, startTandem, type TandemProcess, tempRoot } from '../helpers/tandem';

const s3 = useS3Server();

const { servers, clients, roots } = cleanedAfterEach();

function s3Options(prefix: string) {
  return {
    // Folders are not listed again during the test (an hour between checks): the server does not
    // know what the other tool puts in the bucket, which is the case a sweep must not delete.
    args: ['--storage', `s3://${s3.bucket}/${prefix}`, '--s3-endpoint', s3.endpoint, '--s3-check', '3600'],
    env: { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: 'us-east-1' },
  };
}

const filesIn = async (prefix: string) => (await s3.keysUnder(`${prefix}/files/`)).map((key) => key.slice(`${prefix}/files/`.length)).sort();

async function listing(server: TandemProcess, path: string): Promise<string[]> {
  const answer = await server.api('GET', `/api/contents/${path}`);
  expect(answer.status).toBe(200);
  return ((await answer.json()).content as { name: string }[]).map((m) => m.name).sort();
}

test("files and folders a cell deletes or renames go from the bucket, and stay gone after a restart on an empty root; another tool's files stay", async () => {
  const parent = tempRoot();
  roots.push(parent);
  const root = join(parent, 'root');
  const server = await startTandem({ root, ...s3Options('deletes') });
  servers.push(server);
  // A folder made through Tandem has a marker in the bucket; a cell removes it later.
  expect((await server.api('PUT', '/api/contents/made', { type: 'directory' })).status).toBe(201);
  const nb = makeNotebook([
    {
      id: 'write',
      source: [
        'import os',
        "os.makedirs('sub/deeper', exist_ok=True)",
        "for name in ['a.csv', 'sub/b.csv', 'sub/deeper/c.csv', 'made/m.txt', 'old.txt', 'theirs.csv']:",
        "    open(name, 'w').write(name + ',1\\n')",
      ].join('\n'),
    },
    {
      id: 'delete',
      source: [
        'import os, shutil',
        "os.remove('a.csv')",
        "shutil.rmtree('sub')",
        "shutil.rmtree('made')",
        "os.rename('old.txt', 'new.txt')",
        "os.remove('theirs.csv')",
      ].join('\n'),
    },
  ]);
  expect((await server.api('PUT', '/api/contents/nb.ipynb', { type: 'notebook', format: 'json', content: nb })).status).toBe(201);
  const client = await connectNotebook(server, 'nb.ipynb');
  clients.push(client);

  const [write] = await execute(server, client.fileId, ['write']);
  expect((await waitForRun(client, write.id, undefined, 120_000)).status).toBe('ok');
  await eventually(
    async () =>
      expect(await filesIn('deletes')).toEqual(
        expect.arrayContaining(['a.csv', 'sub/b.csv', 'sub/deeper/c.csv', 'made/.folder', 'made/m.txt', 'old.txt', 'theirs.csv']),
      ),
    20_000,
    250,
  );

  // Meanwhile another tool adds files the server has not listed, and changes one it has seen.
  await s3.putObject('deletes/files/pipeline.csv', 'from the pipeline\n');
  await s3.putObject('deletes/files/sub/late.csv', 'late, into a folder the cell removes\n');
  await s3.putObject('deletes/files/theirs.csv', 'changed by another tool\n');

  const [remove] = await execute(server, client.fileId, ['delete']);
  expect((await waitForRun(client, remove.id, undefined, 120_000)).status).toBe('ok');
  const expected = ['Welcome.ipynb', 'nb.ipynb', 'new.txt', 'pipeline.csv', 'sub/late.csv', 'theirs.csv'];
  await eventually(async () => expect(await filesIn('deletes')).toEqual(expected), 20_000, 250);
  // Renamed, not rewritten: the new key holds the old file's bytes.
  expect((await s3.getObject('deletes/files/new.txt')).text).toBe('old.txt,1\n');
  // Deleted here, but changed in the bucket since it was read: the conditional delete kept it.
  expect((await s3.getObject('deletes/files/theirs.csv')).text).toBe('changed by another tool\n');
  expect(server.logs()).toContain('another tool changed it in the bucket since');

  // The machine is lost: an empty root on a new server, same bucket. What the cell deleted stays deleted.
  await server.kill9();
  removeRoot(root);
  mkdirSync(root);
  const again = await startTandem({ root, ...s3Options('deletes') });
  servers.push(again);
  expect(await listing(again, '')).toEqual(['Welcome.ipynb', 'nb.ipynb', 'new.txt', 'pipeline.csv', 'sub', 'theirs.csv']);
  expect(await listing(again, 'sub')).toEqual(['late.csv']);
  expect((await again.api('GET', '/api/contents/a.csv')).status).toBe(404);
  expect((await again.api('GET', '/api/contents/made')).status).toBe(404);
  expect(await filesIn('deletes')).toEqual(expected);
}, 300_000);
