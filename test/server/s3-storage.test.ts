// `tandem serve --storage s3://BUCKET/PREFIX`: notebook histories in a real S3-compatible
// server (versitygw). The files of the contents API are still under --root for now.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { cleanedAfterEach } from '../helpers/cleanup';
import { connectNotebook, eventually, everyTagOnce, keepTyping, type NotebookClient, openSession } from '../helpers/clients';
import { makeNotebook } from '../helpers/notebooks';
import { useS3Server } from '../helpers/s3-server';
import { startTandem } from '../helpers/tandem';

const s3 = useS3Server();

const { servers, clients } = cleanedAfterEach();

function s3Options(prefix: string, bucket = s3.bucket) {
  return {
    args: ['--storage', `s3://${bucket}/${prefix}`, '--s3-endpoint', s3.endpoint],
    env: { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: 'us-east-1' },
  };
}

test('with --storage s3://, an edit is shipped to the bucket and survives kill -9 of the server', async () => {
  const server = await startTandem(s3Options('team-a'));
  servers.push(server);
  const created = await server.api('PUT', '/api/contents/kept.ipynb', {
    type: 'notebook',
    format: 'json',
    content: makeNotebook([{ id: 'c', source: 'a = 1' }]),
  });
  expect(created.status).toBe(201);
  const writer = await connectNotebook(server, 'kept.ipynb');
  const reader = await connectNotebook(server, 'kept.ipynb');
  clients.push(writer, reader);
  writer.notebook.getCell(0).updateSource(5, 5, ' # kept');
  await eventually(() => expect(reader.notebook.getCell(0).getSource()).toBe('a = 1 # kept'), 10_000, 1);
  // The history is in the bucket: its head, its first state, and a shipped log chunk.
  await eventually(async () => {
    const keys = await s3.keysUnder(`team-a/docs/${writer.fileId}/`);
    expect(keys).toContain(`team-a/docs/${writer.fileId}/head.json`);
    expect(keys.some((key) => /\/state-[0-9a-f]+-\d+\.bin$/.test(key))).toBe(true);
    expect(keys.some((key) => /\/log-[0-9a-f]+-\d+\.bin$/.test(key))).toBe(true);
  }, 10_000);
  await server.kill9();

  const again = await startTandem({ root: server.root, token: server.token, ...s3Options('team-a') });
  servers.push(again);
  const session = await openSession(again, 'kept.ipynb');
  expect(session.sessionId).toBe(writer.sessionId);
  const fresh = await connectNotebook(again, 'kept.ipynb');
  clients.push(fresh);
  expect(fresh.notebook.getCell(0).getSource()).toBe('a = 1 # kept');
});

test('a bucket that does not exist is a clear start-up error and a non-zero exit', async () => {
  await expect(startTandem(s3Options('x', 'no-such-bucket'))).rejects.toThrow(
    /exited with 1[\s\S]*cannot use the bucket s3:\/\/no-such-bucket\/x\/: no such bucket/,
  );
});

test('wrong credentials are a clear start-up error', async () => {
  const options = s3Options('x');
  await expect(startTandem({ ...options, env: { ...options.env, AWS_SECRET_ACCESS_KEY: 'wrong-secret' } })).rejects.toThrow(
    /exited with 1[\s\S]*cannot use the bucket s3:\/\/tandem-test\/x\/: access denied/,
  );
});

test('a malformed --storage is refused with a usage error', async () => {
  await expect(startTandem({ args: ['--storage', 's3://Bad_Bucket/../x'] })).rejects.toThrow(/exited with 2[\s\S]*--storage must be s3:\/\/BUCKET/);
  await expect(startTandem({ args: ['--s3-endpoint', 'http://127.0.0.1:1'] })).rejects.toThrow(/exited with 2[\s\S]*--s3-endpoint needs --storage/);
});

test('the bucket stopped while two editors type: they see saving paused, nothing is lost, and saving resumes by itself', async () => {
  const server = await startTandem(s3Options('paused'));
  servers.push(server);
  await server.api('PUT', '/api/contents/typing.ipynb', { type: 'notebook', format: 'json', content: makeNotebook([{ id: 't', source: '' }]) });
  const editors = [await connectNotebook(server, 'typing.ipynb'), await connectNotebook(server, 'typing.ipynb')];
  clients.push(...editors);
  const pausedFor = (client: NotebookClient) => client.doc.getMap('storage').has('paused');
  const typing = keepTyping(editors, 50);
  try {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    s3.pause();
    for (const editor of editors) await eventually(() => expect(pausedFor(editor)).toBe(true), 20_000, 50);
  } finally {
    s3.resume();
  }
  for (const editor of editors) await eventually(() => expect(pausedFor(editor)).toBe(false), 60_000, 100);
  await typing.stop();
  const final = await everyTagOnce(editors, typing.tags);

  // Everything reached the bucket: without the server's local log, a restart still has it all.
  expect(await server.stop('SIGTERM')).toBe(0);
  rmSync(join(server.stateDir, 's3-wal'), { recursive: true, force: true });
  const again = await startTandem({ root: server.root, token: server.token, ...s3Options('paused') });
  servers.push(again);
  const fresh = await connectNotebook(again, 'typing.ipynb');
  clients.push(fresh);
  expect(fresh.notebook.getCell(0).getSource()).toBe(final);
}, 120_000);
