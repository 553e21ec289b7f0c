// Cluster mode on a bucket (--redis with --storage s3://): the Redis stream is the log and the
// bucket holds its compactions. A notebook moves between replicas through the bucket, and after
// every replica has stopped, a new cluster on an empty Redis finds all of it there.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { type S3Server, startS3Server } from '../helpers/s3-server';

let s3: S3Server;
const clusters: TestCluster[] = [];
const clients: NotebookClient[] = [];

beforeAll(async () => {
  s3 = await startS3Server();
}, 60_000);

afterAll(async () => {
  for (const client of clients) client.destroy();
  for (const cluster of clusters) await cluster.stop();
  await s3?.stop();
});

test('compactions go to the bucket; a cluster started again on an empty Redis finds every edit there, same lineage', async () => {
  const s3Options = {
    args: ['--storage', `s3://${s3.bucket}/team`, '--s3-endpoint', s3.endpoint],
    env: { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: 'us-east-1' },
  };
  const first = await startCluster(2, s3Options);
  clusters.push(first);
  first.writeNotebook('bucketed.ipynb', [{ id: 'b1', source: 'x = 1' }]);
  const [replicaA, replicaB] = first.replicas;
  const onA = await connectNotebook(replicaA, 'bucketed.ipynb');
  const onB = await connectNotebook(replicaB, 'bucketed.ipynb');
  clients.push(onA, onB);
  onA.notebook.getCell(0).updateSource(5, 5, ' # from A');
  await eventually(() => expect(onB.notebook.getCell(0).getSource()).toBe('x = 1 # from A'));
  expect(await s3.keysUnder(`team/cluster/${onA.fileId}/head.json`)).toHaveLength(1);

  // A hands the notebook over on its way out; B takes it over from the bucket and the stream.
  expect(await replicaA.stop('SIGTERM')).toBe(0);
  onB.notebook.getCell(0).updateSource(0, 0, '# from B\n');
  await eventually(() => expect(onB.notebook.getCell(0).getSource()).toBe('# from B\nx = 1 # from A'));
  expect(await replicaB.stop('SIGTERM')).toBe(0);
  onA.destroy();
  onB.destroy();
  // Nothing of the history is kept beside the files: it is all in the bucket.
  expect(existsSync(join(first.root, '.tandem', 'cluster'))).toBe(false);

  // A new Redis: the stream is gone, and only what the bucket holds can bring the edits back.
  await first.redis.stop();
  const second = await startCluster(1, { ...s3Options, root: first.root });
  clusters.push(second);
  const again = await connectNotebook(second.replicas[0], 'bucketed.ipynb');
  clients.push(again);
  expect(again.sessionId).toBe(onA.sessionId);
  expect(again.notebook.getCell(0).getSource()).toBe('# from B\nx = 1 # from A');
});
