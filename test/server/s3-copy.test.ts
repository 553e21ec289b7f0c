// `tandem copy`: a team that started on one machine moves its root and state directory into a
// bucket, and back, and finds the same notebooks, histories, versions and snapshots on the other
// side. Real servers on both sides, real versitygw.

import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { TANDEM_BUNDLE } from '../../bench/lib/bundle.js';
import { cleanedAfterEach } from '../helpers/cleanup';
import { connectNotebook, eventually } from '../helpers/clients';
import { execute, waitForRun } from '../helpers/execution';
import { makeNotebook } from '../helpers/notebooks';
import { useS3Server } from '../helpers/s3-server';
import { startTandem, type TandemProcess, tempRoot } from '../helpers/tandem';

const s3 = useS3Server();

const { servers, clients, roots } = cleanedAfterEach();

const credentials = () => ({ AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: 'us-east-1' });

function copy(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [TANDEM_BUNDLE, 'copy', ...args, '--s3-endpoint', s3.endpoint], {
    env: { ...process.env, ...credentials() },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** What a user can see of a server's work: the notebooks, their versions (with content) and snapshots. */
async function everything(server: TandemProcess, fileIds: { analysis: string; welcome: string }) {
  const get = async (path: string) => {
    const answer = await server.api('GET', path);
    expect(answer.status, path).toBe(200);
    return answer.json();
  };
  const listing = await get('/api/contents/');
  const notebook = (await get('/api/contents/team/analysis.ipynb')).content;
  const notes = (await get('/api/contents/team/notes.txt')).content;
  const versions = await get(`/api/notebooks/${fileIds.analysis}/versions`);
  const versionContents = [];
  for (const v of versions) versionContents.push((await get(`/api/notebooks/${fileIds.analysis}/versions/${v.id}`)).content);
  const snapshots = (await get(`/api/snapshots?notebook=${fileIds.welcome}`)).snapshots;
  const snapshotData = [];
  for (const s of snapshots) snapshotData.push(Buffer.from(await (await server.api('GET', `/api/snapshots/${s.id}/data`)).arrayBuffer()).toString('base64'));
  return {
    names: listing.content.map((m: { name: string }) => m.name).sort(),
    notebook,
    notes,
    versions,
    versionContents,
    snapshots,
    snapshotData,
  };
}

test('tandem copy moves a root with its histories, versions and snapshots into a bucket and back, and both sides are equal', async () => {
  const parent = tempRoot();
  roots.push(parent);
  const first = join(parent, 'first');
  const local = await startTandem({ root: first });
  servers.push(local);
  await local.api('PUT', '/api/contents/team', { type: 'directory' });
  await local.api('PUT', '/api/contents/team/notes.txt', { type: 'file', format: 'text', content: 'moving day\n' });
  await local.api('PUT', '/api/contents/team/analysis.ipynb', { type: 'notebook', format: 'json', content: makeNotebook([{ id: 'a', source: 'x = 1' }]) });
  const editor = await connectNotebook(local, 'team/analysis.ipynb');
  clients.push(editor);
  editor.notebook.getCell(0).updateSource(5, 5, ' # first edit');
  expect((await local.api('POST', `/api/notebooks/${editor.fileId}/versions`, { label: 'on the laptop' })).status).toBe(201);
  editor.notebook.getCell(0).updateSource(0, 0, '# second edit\n');
  const welcome = await connectNotebook(local, 'Welcome.ipynb');
  clients.push(welcome);
  const [sql] = await execute(local, welcome.fileId, ['sql-demo']);
  expect((await waitForRun(welcome, sql.id, undefined, 240_000)).status).toBe('ok');
  await eventually(async () => {
    const model = await (await local.api('GET', '/api/contents/team/analysis.ipynb')).json();
    expect(model.content.cells[0].source).toBe('# second edit\nx = 1 # first edit');
  });
  const fileIds = { analysis: editor.fileId, welcome: welcome.fileId };
  for (const c of clients.splice(0)) c.destroy();
  expect(await local.stop()).toBe(0);
  servers.splice(0);
  // What the team has, read once its server stopped (closing made a last version).
  const settled = await local.restart();
  servers.push(settled);
  const before = await everything(settled, fileIds);
  expect(before.versions.map((v: { label: string | null }) => v.label)).toContain('on the laptop');
  expect(before.snapshots.length).toBeGreaterThan(0);
  expect(await settled.stop()).toBe(0);
  servers.splice(0);

  const up = copy(['--to', `s3://${s3.bucket}/moved`, '--root', first, '--state-dir', local.stateDir]);
  expect(up.status, up.stderr).toBe(0);
  expect(up.stderr).not.toMatch(/unknown length|failed/);
  expect(up.stdout).toMatch(/^Copied \d+ files, \d+ state files, [1-9]\d* histories and [1-9]\d* versions from .* to s3:\/\/tandem-test\/moved\/\n$/);

  // In the cloud: a server on the bucket with an empty root sees the same work, in the same lineage.
  const cloudRoot = join(parent, 'cloud');
  mkdirSync(cloudRoot);
  const cloud = await startTandem({
    root: cloudRoot,
    args: ['--storage', `s3://${s3.bucket}/moved`, '--s3-endpoint', s3.endpoint],
    env: credentials(),
  });
  servers.push(cloud);
  expect(await everything(cloud, fileIds)).toEqual(before);
  const reader = await connectNotebook(cloud, 'team/analysis.ipynb');
  clients.push(reader);
  expect(reader.sessionId).toBe(editor.sessionId);
  for (const c of clients.splice(0)) c.destroy();
  expect(await cloud.stop()).toBe(0);
  servers.splice(0);

  // And back to a new machine, without a bucket.
  const back = join(parent, 'back');
  const down = copy(['--from', `s3://${s3.bucket}/moved`, '--root', back, '--state-dir', join(back, '.tandem')]);
  expect(down.status, down.stderr).toBe(0);
  expect(down.stdout).toMatch(/^Copied \d+ files, \d+ state files, [1-9]\d* histories and [1-9]\d* versions from s3:/);
  const again = await startTandem({ root: back });
  servers.push(again);
  expect(await everything(again, fileIds)).toEqual(before);
}, 360_000);

test('tandem copy without a direction, or to a bucket that does not exist, is a clear error', async () => {
  const root = tempRoot();
  roots.push(root);
  const none = copy(['--root', root]);
  expect(none.status).toBe(2);
  expect(none.stderr).toMatch(/Give --to s3:\/\/BUCKET\/PREFIX or --from/);
  const missing = copy(['--to', 's3://no-such-bucket/x', '--root', root]);
  expect(missing.status).toBe(1);
  expect(missing.stderr).toMatch(/cannot use the bucket s3:\/\/no-such-bucket\/x\/: no such bucket/);
});
