// Redis restarted under load (cluster mode): replicas reconnect by themselves, the edits made
// while it was away go through once it is back, and no edit that any client received is lost.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectNotebook, eventually, everyTagOnce, keepTyping, type NotebookClient } from '../helpers/clients';
import { startCluster, type TestCluster } from '../helpers/cluster';

let cluster: TestCluster;
const clients: NotebookClient[] = [];

beforeAll(async () => {
  cluster = await startCluster(3);
}, 120_000);

afterAll(async () => {
  for (const client of clients) client.destroy();
  await cluster?.stop();
});

test('editors on three replicas keep typing while Redis restarts: every edit lands exactly once, everywhere and on disk', async () => {
  cluster.writeNotebook('restart.ipynb', [{ id: 'r1', source: '' }]);
  const editors = await Promise.all(cluster.replicas.map((replica) => connectNotebook(replica, 'restart.ipynb')));
  clients.push(...editors);
  const typing = keepTyping(editors, 20);
  await new Promise((resolve) => setTimeout(resolve, 500));
  await cluster.redis.restart();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await typing.stop();
  expect(typing.tags.length).toBeGreaterThan(30);

  const final = await everyTagOnce(editors, typing.tags);
  await eventually(() => {
    const saved = JSON.parse(readFileSync(join(cluster.root, 'restart.ipynb'), 'utf8'));
    const source = saved.cells[0].source;
    expect(Array.isArray(source) ? source.join('') : source).toBe(final);
  }, 15_000);
  // A client joining afresh gets the same document.
  const fresh = await connectNotebook(cluster.replicas[2], 'restart.ipynb');
  clients.push(fresh);
  expect(fresh.notebook.getCell(0).getSource()).toBe(final);
});
