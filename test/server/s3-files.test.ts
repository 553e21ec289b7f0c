// `tandem serve --storage s3://BUCKET/PREFIX` keeps the files too: the contents API's files under
// `files/`, the durable parts of the state directory under `state/`, so that --root and
// --state-dir are caches a server can lose. Real versitygw, real kernels, real clients.

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { expect, test } from 'vitest';
import { cleanedAfterEach } from '../helpers/cleanup';
import { connectNotebook, eventually } from '../helpers/clients';
import { execute, outputsOf, waitForRun } from '../helpers/execution';
import { makeNotebook } from '../helpers/notebooks';
import { useS3Server } from '../helpers/s3-server';
import { removeRoot, startTandem, tempRoot } from '../helpers/tandem';

const s3 = useS3Server();

const { servers, clients, roots } = cleanedAfterEach();

function s3Options(prefix: string, extra: string[] = []) {
  return {
    args: ['--storage', `s3://${s3.bucket}/${prefix}`, '--s3-endpoint', s3.endpoint, ...extra],
    env: { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: 'us-east-1' },
  };
}

/** Every object under a prefix with its ETag (the MD5 of a single-part object's bytes). */
async function objectsUnder(prefix: string): Promise<Map<string, string>> {
  const client = s3.client();
  try {
    const objects = new Map<string, string>();
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) objects.set(o.Key!, (o.ETag ?? '').replace(/"/g, ''));
      token = page.NextContinuationToken;
    } while (token);
    return objects;
  } finally {
    client.destroy();
  }
}

function filesUnder(dir: string, keep: (rel: string) => boolean): string[] {
  const found: string[] = [];
  const walk = (sub: string) => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else if (entry.isFile() && keep(rel)) found.push(rel);
    }
  };
  walk('');
  return found;
}

const md5 = (path: string) => createHash('md5').update(readFileSync(path)).digest('hex');
const DURABLE = /^(file-ids\.json|shares\.json|outputs\/|snapshots\/(data|meta|index)\/|jobs\/)/;

test('a server that loses its root and its state directory finds every notebook, edit, output, snapshot and version in the bucket', async () => {
  const parent = tempRoot();
  roots.push(parent);
  const root = join(parent, 'root');
  const server = await startTandem({ root, ...s3Options('lost') });
  servers.push(server);
  // A new root with nothing in its bucket gets the Welcome notebook, stored in the bucket too.
  expect((await server.api('GET', '/api/contents/Welcome.ipynb?content=0')).status).toBe(200);
  expect((await server.api('PUT', '/api/contents/work', { type: 'directory' })).status).toBe(201);
  expect((await server.api('PUT', '/api/contents/empty', { type: 'directory' })).status).toBe(201);
  expect((await server.api('PUT', '/api/contents/work/notes.txt', { type: 'file', format: 'text', content: 'kept notes\n' })).status).toBe(201);
  const nb = makeNotebook([
    { id: 'small', source: "print('hi')" },
    { id: 'big', source: "import sys\nsys.stdout.write('y' * 3_000_000)\nsys.stdout.flush()" },
  ]);
  expect((await server.api('PUT', '/api/contents/work/analysis.ipynb', { type: 'notebook', format: 'json', content: nb })).status).toBe(201);

  const editor = await connectNotebook(server, 'work/analysis.ipynb');
  clients.push(editor);
  editor.notebook.getCell(0).updateSource(0, 0, '# edited\n');
  const runs = await execute(server, editor.fileId, ['small', 'big']);
  for (const run of runs) expect((await waitForRun(editor, run.id, undefined, 120_000)).status).toBe('ok');
  const marker = outputsOf(editor, 'big').find((o) => JSON.stringify(o).includes('/outputs/'));
  const outputUrl = /\/api\/notebooks\/[^"\s]+\/outputs\/[0-9a-f-]{36}/.exec(JSON.stringify(marker))![0];
  const saved = await server.api('POST', `/api/notebooks/${editor.fileId}/versions`, { label: 'before the disk was lost' });
  expect(saved.status).toBe(201);

  // A query snapshot: the Welcome notebook's SQL cell on the embedded demo database.
  const welcome = await connectNotebook(server, 'Welcome.ipynb');
  clients.push(welcome);
  const [sql] = await execute(server, welcome.fileId, ['sql-demo']);
  expect((await waitForRun(welcome, sql.id, undefined, 240_000)).status).toBe('ok');
  const snapshots = (await (await server.api('GET', `/api/snapshots?notebook=${welcome.fileId}`)).json()).snapshots as { id: string }[];
  expect(snapshots.length).toBeGreaterThan(0);
  const snapshotData = Buffer.from(await (await server.api('GET', `/api/snapshots/${snapshots[0].id}/data`)).arrayBuffer());
  expect(snapshotData.byteLength).toBeGreaterThan(0);
  const analysis = await eventually(async () => {
    const model = await (await server.api('GET', '/api/contents/work/analysis.ipynb')).json();
    expect(model.content.cells[0].source).toBe("# edited\nprint('hi')");
    return model.content;
  }, 20_000);

  // No notebook data is only on the local disk: every file of the root and every durable file of
  // the state directory is in the bucket, byte for byte.
  await eventually(
    async () => {
      const objects = await objectsUnder('lost/');
      for (const rel of filesUnder(root, (r) => !r.startsWith('.'))) expect(objects.get(`lost/files/${rel}`), rel).toBe(md5(join(root, rel)));
      const durable = filesUnder(server.stateDir, (r) => DURABLE.test(r));
      expect(durable.some((r) => r.startsWith('outputs/'))).toBe(true);
      expect(durable.some((r) => r.startsWith('snapshots/data/'))).toBe(true);
      for (const rel of durable) expect(objects.get(`lost/state/${rel}`), rel).toBe(md5(join(server.stateDir, rel)));
      expect(objects.has('lost/files/empty/.folder')).toBe(true);
    },
    20_000,
    250,
  );
  await server.kill9();
  // The machine is gone: an empty root (and state directory in it) on a new server, same bucket.
  removeRoot(root);
  mkdirSync(root);
  const again = await startTandem({ root, ...s3Options('lost') });
  servers.push(again);

  const listing = await (await again.api('GET', '/api/contents/')).json();
  expect(listing.content.map((m: { name: string }) => m.name).sort()).toEqual(['Welcome.ipynb', 'empty', 'work']);
  expect((await (await again.api('GET', '/api/contents/work/notes.txt')).json()).content).toBe('kept notes\n');
  const restored = await (await again.api('GET', '/api/contents/work/analysis.ipynb')).json();
  expect(restored.content.cells).toEqual(analysis.cells);
  const reader = await connectNotebook(again, 'work/analysis.ipynb');
  clients.push(reader);
  expect(reader.fileId).toBe(editor.fileId);
  expect(reader.sessionId).toBe(editor.sessionId);
  expect(reader.notebook.getCell(0).getSource()).toBe("# edited\nprint('hi')");
  expect(JSON.stringify(outputsOf(reader, 'small'))).toContain('hi');
  const whole = await again.api('GET', outputUrl);
  expect(whole.status).toBe(200);
  expect((await whole.text()).length).toBe(3_000_000);
  const versions = await (await again.api('GET', `/api/notebooks/${editor.fileId}/versions`)).json();
  expect(versions.map((v: { label: string | null }) => v.label)).toContain('before the disk was lost');
  const snapshotsAgain = (await (await again.api('GET', `/api/snapshots?notebook=${welcome.fileId}`)).json()).snapshots as { id: string }[];
  expect(snapshotsAgain.map((s) => s.id)).toEqual(snapshots.map((s) => s.id));
  const dataAgain = Buffer.from(await (await again.api('GET', `/api/snapshots/${snapshots[0].id}/data`)).arrayBuffer());
  expect(dataAgain.equals(snapshotData)).toBe(true);
}, 420_000);

test('a notebook changed in the bucket by another tool is merged cell by cell into the open notebook', async () => {
  const root = tempRoot();
  roots.push(root);
  const server = await startTandem({ root, ...s3Options('outside', ['--s3-check', '0.5']) });
  servers.push(server);
  const nb = makeNotebook([
    { id: 'mine', source: 'a = 1' },
    { id: 'theirs', source: 'b = 2' },
  ]);
  await server.api('PUT', '/api/contents/shared.ipynb', { type: 'notebook', format: 'json', content: nb });
  const editor = await connectNotebook(server, 'shared.ipynb');
  clients.push(editor);
  editor.notebook.getCell(0).updateSource(5, 5, ' # typed here');
  await eventually(async () => expect((await s3.getObject('outside/files/shared.ipynb')).text).toContain('# typed here'), 10_000, 100);

  // Another tool rewrites the object: only the second cell differs from what it read.
  const before = JSON.parse((await s3.getObject('outside/files/shared.ipynb')).text);
  before.cells[1].source = 'b = 20  # changed in the bucket';
  await s3.putObject('outside/files/shared.ipynb', JSON.stringify(before));

  await eventually(() => expect(editor.notebook.getCell(1).getSource()).toBe('b = 20  # changed in the bucket'), 20_000, 100);
  expect(editor.notebook.getCell(0).getSource()).toBe('a = 1 # typed here');
  expect(editor.notebook.cells.length).toBe(2);
});

test("a stale writer's save is refused by the conditional write, merged with the bucket's version, and nothing is lost", async () => {
  const root = tempRoot();
  roots.push(root);
  // The outside change is not looked for (an hour between checks): the server writes on a stale ETag.
  const server = await startTandem({ root, ...s3Options('stale', ['--s3-check', '3600']) });
  servers.push(server);
  const nb = makeNotebook([
    { id: 'mine', source: 'a = 1' },
    { id: 'theirs', source: 'b = 2' },
  ]);
  await server.api('PUT', '/api/contents/race.ipynb', { type: 'notebook', format: 'json', content: nb });
  const editor = await connectNotebook(server, 'race.ipynb');
  clients.push(editor);
  const stored = JSON.parse((await s3.getObject('stale/files/race.ipynb')).text);
  stored.cells[1].source = 'b = 3  # written by another tool';
  await s3.putObject('stale/files/race.ipynb', JSON.stringify(stored));

  editor.notebook.getCell(0).updateSource(5, 5, ' # typed after');
  // The save with the old ETag was refused; the bucket's version was merged in, and the merge written.
  await eventually(
    async () => {
      const now = JSON.parse((await s3.getObject('stale/files/race.ipynb')).text);
      expect(now.cells.map((c: { source: string | string[] }) => [c.source].flat().join(''))).toEqual([
        'a = 1 # typed after',
        'b = 3  # written by another tool',
      ]);
    },
    20_000,
    100,
  );
  expect(editor.notebook.getCell(1).getSource()).toBe('b = 3  # written by another tool');
  expect(server.logs()).toContain('changed in the bucket by another writer');

  // A contents-API save of a plain file over a newer copy in the bucket is a 409, and the bucket keeps the newer copy.
  await server.api('PUT', '/api/contents/plain.txt', { type: 'file', format: 'text', content: 'one' });
  await s3.putObject('stale/files/plain.txt', 'two, from elsewhere');
  const refused = await server.api('PUT', '/api/contents/plain.txt', { type: 'file', format: 'text', content: 'three' });
  expect(refused.status).toBe(409);
  expect((await s3.getObject('stale/files/plain.txt')).text).toBe('two, from elsewhere');
  expect((await (await server.api('GET', '/api/contents/plain.txt')).json()).content).toBe('two, from elsewhere');
});

test('renames, moves and deletes are made in the bucket; an open idle notebook makes no write to it', async () => {
  const root = tempRoot();
  roots.push(root);
  const server = await startTandem({ root, ...s3Options('moves') });
  servers.push(server);
  await server.api('PUT', '/api/contents/folder', { type: 'directory' });
  await server.api('PUT', '/api/contents/folder/a.ipynb', { type: 'notebook', format: 'json', content: makeNotebook([{ id: 'x', source: 'x = 1' }]) });
  await server.api('PUT', '/api/contents/folder/b.txt', { type: 'file', format: 'text', content: 'b' });
  expect((await server.api('PATCH', '/api/contents/folder', { path: 'moved' })).status).toBe(200);
  expect([...(await objectsUnder('moves/files/')).keys()].sort()).toEqual([
    'moves/files/moved/.folder',
    'moves/files/moved/a.ipynb',
    'moves/files/moved/b.txt',
  ]);
  expect((await server.api('PATCH', '/api/contents/moved/b.txt', { path: 'b-renamed.txt' })).status).toBe(200);
  expect((await server.api('DELETE', '/api/contents/moved/a.ipynb')).status).toBe(204);
  expect([...(await objectsUnder('moves/files/')).keys()].sort()).toEqual(['moves/files/b-renamed.txt', 'moves/files/moved/.folder']);
  expect((await server.api('DELETE', '/api/contents/moved')).status).toBe(204);
  expect([...(await objectsUnder('moves/files/')).keys()]).toEqual(['moves/files/b-renamed.txt']);

  // Open and untouched: the file in the bucket keeps its ETag (no write).
  await server.api('PUT', '/api/contents/idle.ipynb', { type: 'notebook', format: 'json', content: makeNotebook([{ id: 'i', source: 'idle' }]) });
  const etag = (await s3.getObject('moves/files/idle.ipynb')).etag;
  const idle = await connectNotebook(server, 'idle.ipynb');
  clients.push(idle);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const client = s3.client();
  try {
    expect((await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'moves/files/idle.ipynb' }))).ETag).toBe(etag);
  } finally {
    client.destroy();
  }
});

test('names with unicode, spaces and % map to keys of the same name; .., control characters and overlong paths are a clear 400', async () => {
  const root = tempRoot();
  roots.push(root);
  const server = await startTandem({ root, ...s3Options('names') });
  servers.push(server);
  const odd = 'données d’été 100% sûr.txt';
  const put = await server.api('PUT', `/api/contents/${encodeURIComponent(odd)}`, { type: 'file', format: 'text', content: 'ü' });
  expect(put.status).toBe(201);
  expect((await s3.getObject(`names/files/${odd}`)).text).toBe('ü');
  expect(statSync(join(root, odd)).isFile()).toBe(true);

  const refusals = ['..%2Fescape.txt', `${'x'.repeat(1000)}.txt`, `${Array.from({ length: 6 }, () => 'd'.repeat(200)).join('/')}/deep.txt`, 'tab\there.txt'];
  for (const name of refusals) {
    const path = name.includes('%2F') ? name : name.split('/').map(encodeURIComponent).join('/');
    const answer = await server.api('PUT', `/api/contents/${path}`, { type: 'file', format: 'text', content: 'no' });
    expect(answer.status, name.slice(0, 40)).toBe(400);
    expect((await answer.json()).message).toMatch(/leave the notebook root|at most 255 bytes|too long for the bucket|control characters/);
  }
  // The deep folders the overlong path would need are refused too, so nothing of it exists.
  expect([...(await objectsUnder('names/files/')).keys()]).toEqual([`names/files/${odd}`]);
  expect(relative(root, join(root, odd))).toBe(odd);
});

test('a notebook another tool puts in the bucket is found by its path at once, and in its folder listing after a check interval; a file it deletes there goes from the listing', async () => {
  const root = tempRoot();
  roots.push(root);
  const server = await startTandem({ root, ...s3Options('dropped', ['--s3-check', '0.5']) });
  servers.push(server);
  await server.api('PUT', '/api/contents/inbox', { type: 'directory' });
  const listed = async () => (await (await server.api('GET', '/api/contents/inbox')).json()).content.map((m: { name: string }) => m.name);
  expect(await listed()).toEqual([]);
  // A pipeline drops a notebook and a report in the bucket, not through Tandem.
  await s3.putObject('dropped/files/inbox/report.ipynb', JSON.stringify(makeNotebook([{ id: 'r', source: "print('from the pipeline')" }])));
  await s3.putObject('dropped/files/inbox/deep/summary.csv', 'a,b\n1,2\n');
  const opened = await server.api('GET', '/api/contents/inbox/report.ipynb');
  expect(opened.status).toBe(200);
  expect((await opened.json()).content.cells[0].source).toBe("print('from the pipeline')");
  await eventually(async () => expect((await listed()).sort()).toEqual(['deep', 'report.ipynb']), 10_000, 250);
  const reader = await connectNotebook(server, 'inbox/report.ipynb');
  clients.push(reader);
  expect(reader.notebook.getCell(0).getSource()).toBe("print('from the pipeline')");

  // A file made through Tandem, then deleted in the bucket by the other tool.
  await server.api('PUT', '/api/contents/inbox/stale.txt', { type: 'file', format: 'text', content: 'old' });
  await eventually(async () => expect(await listed()).toContain('stale.txt'), 10_000, 250);
  const client = s3.client();
  try {
    await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: 'dropped/files/inbox/stale.txt' }));
  } finally {
    client.destroy();
  }
  await eventually(async () => expect(await listed()).not.toContain('stale.txt'), 10_000, 250);
  expect((await listed()).sort()).toEqual(['deep', 'report.ipynb']);
});

test('a file a cell writes into the root reaches the bucket once the kernel is idle again', async () => {
  const root = tempRoot();
  roots.push(root);
  const server = await startTandem({ root, ...s3Options('kernel-writes') });
  servers.push(server);
  const nb = makeNotebook([{ id: 'w', source: "open('from-kernel.csv', 'w').write('a,b\\n1,2\\n')" }]);
  await server.api('PUT', '/api/contents/writer.ipynb', { type: 'notebook', format: 'json', content: nb });
  const client = await connectNotebook(server, 'writer.ipynb');
  clients.push(client);
  const [run] = await execute(server, client.fileId, ['w']);
  expect((await waitForRun(client, run.id, undefined, 120_000)).status).toBe('ok');
  expect(readFileSync(join(root, 'from-kernel.csv'), 'utf8')).toBe('a,b\n1,2\n');
  await eventually(async () => expect((await s3.getObject('kernel-writes/files/from-kernel.csv')).text).toBe('a,b\n1,2\n'), 10_000, 250);
});
