// `tandem run NOTEBOOK --storage s3://...` on a machine with no server: the notebook is read
// from the bucket, and the run record, the executed notebook and the files its cells wrote or
// deleted land in the bucket, where a server on it finds them. Real versitygw, a real kernel.

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { expect, test } from 'vitest';
import { readNotebookJSON } from '../../server/notebook/validate';
import { cleanedAfterEach } from '../helpers/cleanup';
import { makeNotebook } from '../helpers/notebooks';
import { useS3Server } from '../helpers/s3-server';
import { startTandem, tempRoot } from '../helpers/tandem';
import { tandemRun } from '../helpers/tandem-run';

const s3 = useS3Server();
const { servers, roots } = cleanedAfterEach();

const credentials = () => ({ AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: 'us-east-1' });

/** `npm start -- run ...` on a machine with no server, with the bucket's credentials. */
const run = (args: string[], cwd: string) => tandemRun(args, cwd, credentials());

async function etagOf(key: string): Promise<string> {
  const client = s3.client();
  try {
    return (await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }))).ETag!;
  } finally {
    client.destroy();
  }
}

test('tandem run --storage reads a notebook that is only in the bucket, and stores its record, executed notebook and written files there', async () => {
  const notebook = makeNotebook([
    { id: 'params', source: 'n = 1' },
    {
      id: 'work',
      source: [
        'import os',
        "os.makedirs('out', exist_ok=True)",
        "open('out/result.csv', 'w').write(f'n,square\\n{n},{n * n}\\n')",
        "os.remove('stale.csv')",
        'print(n * n)',
      ].join('\n'),
    },
  ]) as { cells: { id: string; metadata: Record<string, unknown> }[] };
  notebook.cells[0].metadata = { tags: ['parameters'] };
  const sourceEtag = await s3.putObject('jobs/files/reports/daily.ipynb', JSON.stringify(notebook));
  await s3.putObject('jobs/files/reports/stale.csv', 'yesterday\n');

  // A machine with nothing of it: an empty cache for the root and for the state directory.
  const machine = tempRoot('tandem-run-s3-');
  roots.push(machine);
  const root = join(machine, 'cache');
  const stateDir = join(machine, 'state');
  const storage = ['--storage', `s3://${s3.bucket}/jobs`, '--s3-endpoint', s3.endpoint, '--root', root, '--state-dir', stateDir];
  // The notebook is named by its path in the bucket's root, whatever folder the user is in.
  const result = await run(['reports/daily.ipynb', '-p', 'n', '7', ...storage], machine);
  expect(result.code, result.stderr).toBe(0);
  const executedPath = result.stdout.trimEnd().split('\n').at(-1)!;
  const jobId = /Stored in s3:\/\/[^/]+\/jobs\/state\/jobs\/([0-9a-f-]{36})\//.exec(result.stderr)?.[1];
  expect(jobId, result.stderr).toBeDefined();
  expect(executedPath).toBe(join(stateDir, 'jobs', jobId!, 'executed.ipynb'));

  // The executed notebook with its outputs, and the record, are in the bucket.
  const executed = JSON.parse((await s3.getObject(`jobs/state/jobs/${jobId}/executed.ipynb`)).text);
  expect(() => readNotebookJSON(executed)).not.toThrow();
  const work = executed.cells.find((c: { id: string }) => c.id === 'work');
  expect([work.outputs[0].text].flat().join('')).toBe('49\n');
  const record = JSON.parse((await s3.getObject(`jobs/state/jobs/${jobId}/record.json`)).text);
  expect(record).toMatchObject({ status: 'ok', parameters: { n: 7 }, notebook: { path: 'reports/daily.ipynb' } });
  const index = JSON.parse((await s3.getObject('jobs/state/file-ids.json')).text);
  expect(index.files[record.notebook.fileId]).toBe('reports/daily.ipynb');
  // The file the cell wrote is there, the one it deleted is gone, and the notebook itself is as it was.
  expect((await s3.getObject('jobs/files/reports/out/result.csv')).text).toBe('n,square\n7,49\n');
  expect(await s3.keysUnder('jobs/files/reports/stale.csv')).toEqual([]);
  expect(await etagOf('jobs/files/reports/daily.ipynb')).toBe(sourceEtag);

  // A server started on another empty root, on the same bucket, lists the run with the notebook.
  const serverRoot = join(machine, 'server');
  mkdirSync(serverRoot);
  const server = await startTandem({ root: serverRoot, args: ['--storage', `s3://${s3.bucket}/jobs`, '--s3-endpoint', s3.endpoint], env: credentials() });
  servers.push(server);
  const jobs = await (await server.api('GET', `/api/notebooks/${record.notebook.fileId}/jobs`)).json();
  expect(jobs.map((job: { id: string }) => job.id)).toEqual([jobId]);
  expect(existsSync(join(serverRoot, 'reports', 'out', 'result.csv'))).toBe(true);
}, 300_000);

test('tandem run --storage names a notebook missing from the bucket, and an unknown bucket, with a clear error and exit 2', async () => {
  const machine = tempRoot('tandem-run-s3-');
  roots.push(machine);
  const dirs = ['--root', join(machine, 'cache'), '--state-dir', join(machine, 'state')];
  const missing = await run(['nowhere.ipynb', '--storage', `s3://${s3.bucket}/jobs-missing`, '--s3-endpoint', s3.endpoint, ...dirs], machine);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain(`No notebook at s3://${s3.bucket}/jobs-missing/files/nowhere.ipynb`);
  const unknown = await run(['x.ipynb', '--storage', 's3://no-such-bucket-here/p', '--s3-endpoint', s3.endpoint, ...dirs], machine);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('cannot use the bucket s3://no-such-bucket-here/p/: no such bucket');
  expect(missing.stdout + unknown.stdout).toBe('');
});
