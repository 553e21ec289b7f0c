// When a notebook's owner dies (kill -9) another replica takes the notebook over within a
// few seconds and carries on; when an owner is only paused past its lease (SIGSTOP), it wakes
// up fenced: whatever it tries to write as the owner is refused.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ExecutionRecord } from '../../common/doc-schema';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { execute, outputsOf, recordOf, waitForRun } from '../helpers/execution';
import type { TandemProcess } from '../helpers/tandem';

const LEASE_SECONDS = 2;
let cluster: TestCluster;
const clients: NotebookClient[] = [];

beforeAll(async () => {
  cluster = await startCluster(3, { leaseSeconds: LEASE_SECONDS });
}, 120_000);

afterAll(async () => {
  for (const client of clients) client.destroy();
  await cluster?.stop();
});

function kernelMessages(client: NotebookClient): string[] {
  const seen: string[] = [];
  const kernel = client.doc.getMap('kernel');
  kernel.observe(() => {
    const message = kernel.get('message');
    if (typeof message === 'string') seen.push(message);
  });
  return seen;
}

/** Asks `via` to run cells until a replica accepts (503 while nobody owns the notebook). */
async function runWhenAccepted(via: TandemProcess, fileId: string, cellIds: string[]): Promise<ExecutionRecord> {
  return eventually(
    async () => {
      const response = await via.api('POST', `/api/notebooks/${fileId}/execute`, { cellIds });
      expect(response.status).toBe(202);
      return ((await response.json()).runs as ExecutionRecord[])[0];
    },
    30_000,
    100,
  );
}

function savedSources(name: string): string[] {
  const saved = JSON.parse(readFileSync(join(cluster.root, name), 'utf8'));
  return saved.cells.map((cell: { source: string | string[] }) => (Array.isArray(cell.source) ? cell.source.join('') : cell.source));
}

test('kill -9 of the owner: another replica takes over in place, says the kernel was lost, and runs again', async () => {
  const [replicaA, replicaB, replicaC] = cluster.replicas;
  cluster.writeNotebook('failover.ipynb', [
    { id: 'f1', source: 'x = 41' },
    { id: 'f2', source: 'print("after failover")' },
  ]);
  const onA = await connectNotebook(replicaA, 'failover.ipynb');
  const onB = await connectNotebook(replicaB, 'failover.ipynb');
  const onC = await connectNotebook(replicaC, 'failover.ipynb');
  clients.push(onA, onB, onC);
  const messagesOnC = kernelMessages(onC);
  const [first] = await execute(replicaB, onA.fileId, ['f1']);
  expect((await waitForRun(onC, first.id)).status).toBe('ok');

  await replicaA.kill9();
  const killedAt = Date.now();
  // Asked at once, while the dead owner still holds the lease: the request waits for the new
  // owner instead of failing (a pause, not an error).
  const [run] = await execute(replicaB, onB.fileId, ['f2']);
  const acceptedAfterMs = Date.now() - killedAt;
  expect((await waitForRun(onC, run.id)).status).toBe('ok');
  const firstOutputAfterMs = Date.now() - killedAt;
  console.log(
    `failover (lease ${LEASE_SECONDS} s): first run accepted ${acceptedAfterMs} ms after kill -9 of the owner, its output ${firstOutputAfterMs} ms after`,
  );
  expect(outputsOf(onB, 'f2')[0]?.text).toBe('after failover\n');
  expect(messagesOnC.some((message) => /lost with the server/.test(message))).toBe(true);
  expect(recordOf(onC, first.id)?.status).toBe('ok');
  // Clients of the surviving replicas were never disconnected: the takeover was in place.
  expect(onB.closes).toEqual([]);
  expect(onC.closes).toEqual([]);

  // A client of the dead replica edits offline, then comes back through another replica with
  // its own document and sessionId: its edit arrives exactly once.
  onA.provider.disconnect();
  onA.notebook.getCell(0).updateSource(0, 0, '# offline\n');
  const back = await connectNotebook(replicaC, 'failover.ipynb', { notebook: onA.notebook, fileId: onA.fileId, sessionId: onA.sessionId });
  clients.push(back);
  await eventually(() => {
    for (const client of [onB, onC, back]) expect(client.notebook.getCell(0).getSource()).toBe('# offline\nx = 41');
  });
  await eventually(() => expect(savedSources('failover.ipynb')[0]).toBe('# offline\nx = 41'));
});

test('an owner paused past its lease (SIGSTOP) wakes fenced: its writes are refused, and the file is the new owner’s', async () => {
  const [, replicaB, replicaC] = cluster.replicas;
  const replicaD = await cluster.add();
  cluster.writeNotebook('paused.ipynb', [
    { id: 'p1', source: 'import time\ntime.sleep(3)\nprint("written by", "the paused owner")' },
    { id: 'p2', source: 'y = 1' },
  ]);
  const onD = await connectNotebook(replicaD, 'paused.ipynb');
  const onB = await connectNotebook(replicaB, 'paused.ipynb');
  clients.push(onD, onB);
  const [slow] = await execute(replicaD, onD.fileId, ['p1']);
  await waitForRun(onB, slow.id, ['running']);

  replicaD.process.kill('SIGSTOP');
  // The new owner says what became of the run the paused one had going.
  const failed = await waitForRun(onB, slow.id, ['failed'], 30_000);
  expect(failed.status).toBe('failed');
  onB.notebook.getCell(1).setSource('y = "after the takeover"');
  const run = await runWhenAccepted(replicaC, onB.fileId, ['p2']);
  expect((await waitForRun(onB, run.id)).status).toBe('ok');

  // Woken, the old owner's kernel has long finished: the output it tries to write is refused.
  replicaD.process.kill('SIGCONT');
  await eventually(() => expect(replicaD.logs()).toContain('another replica took this notebook over'), 15_000);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  expect(outputsOf(onB, 'p1')).toEqual([]);
  await eventually(() => expect(savedSources('paused.ipynb')[1]).toBe('y = "after the takeover"'));
  const saved = JSON.parse(readFileSync(join(cluster.root, 'paused.ipynb'), 'utf8'));
  expect(JSON.stringify(saved)).not.toContain('written by the paused owner');
});

test('SIGTERM scale-in during a queue of runs: the running cell finishes, the rest run on the new owner, none fails', async () => {
  const [, replicaB] = cluster.replicas;
  const leaving = await cluster.add();
  cluster.writeNotebook('scale-in.ipynb', [
    { id: 's1', source: 'import time\ntime.sleep(1.5)\nprint("first")' },
    { id: 's2', source: 'print("second")' },
    { id: 's3', source: 'print("third")' },
  ]);
  const onLeaving = await connectNotebook(leaving, 'scale-in.ipynb');
  const onB = await connectNotebook(replicaB, 'scale-in.ipynb');
  clients.push(onLeaving, onB);
  const messagesOnB = kernelMessages(onB);
  const runs = await execute(replicaB, onB.fileId, ['s1', 's2', 's3']);
  await waitForRun(onB, runs[0].id, ['running']);

  expect(await leaving.stop('SIGTERM')).toBe(0);
  const finished = await Promise.all(runs.map((run) => waitForRun(onB, run.id, undefined, 30_000)));
  expect(finished.map((record) => record.status)).toEqual(['ok', 'ok', 'ok']);
  expect(outputsOf(onB, 's1')[0]?.text).toBe('first\n');
  expect(outputsOf(onB, 's2')[0]?.text).toBe('second\n');
  expect(outputsOf(onB, 's3')[0]?.text).toBe('third\n');
  expect(messagesOnB.some((message) => /moved from another server: 2 queued runs continue here/.test(message))).toBe(true);
  expect(onB.closes).toEqual([]);
});
