// Jobs and schedules in cluster mode: every replica knows a notebook's schedule and its runs,
// a time that comes due runs once in the cluster (on the replica holding the scheduler's
// lease), and a running job is followed and cancelled from any replica.

import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ScheduleInfo } from '../../common/api';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { startCluster, type TestCluster } from '../helpers/cluster';

let cluster: TestCluster;
let client: NotebookClient;

beforeAll(async () => {
  cluster = await startCluster(2, { args: ['--scheduler-clock', 'manual'] });
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await cluster?.stop();
});

test('a schedule set through one replica is known to all, and a due time runs once in the cluster', async () => {
  const [replicaA, replicaB] = cluster.replicas;
  cluster.writeNotebook('nightly.ipynb', [{ id: 'n1', source: 'print("nightly")' }]);
  // B owns the notebook, so its schedule is written there; A, started first, holds the
  // scheduler's lease: it must learn of the schedule from the shared state, and read the
  // notebook from B to run it.
  client = await connectNotebook(replicaB, 'nightly.ipynb');
  const put = await replicaA.api('PUT', `/api/notebooks/${client.fileId}/schedule`, { cron: '* * * * *' });
  expect(put.status).toBe(200);

  const at = Date.now() + 61_000;
  const started = await Promise.all(
    cluster.replicas.map(async (replica) => ((await (await replica.api('POST', '/api/scheduler/tick', { at })).json()) as { started: string[] }).started),
  );
  expect(started.flat()).toEqual([client.fileId]);
  for (const replica of cluster.replicas) {
    const info = await eventually(
      async () => {
        const current = (await (await replica.api('GET', `/api/notebooks/${client.fileId}/schedule`)).json()) as ScheduleInfo;
        expect(current.lastRun?.status).toBe('ok');
        return current;
      },
      60_000,
      200,
    );
    expect(info.schedule?.cron).toBe('* * * * *');
  }
});

test('a running job is followed and cancelled from any replica, and its record is read from any', async () => {
  const [replicaA, replicaB] = cluster.replicas;
  cluster.writeNotebook('long.ipynb', [{ id: 'w', source: 'import time\ntime.sleep(30)' }]);
  const owner = await connectNotebook(replicaB, 'long.ipynb');
  try {
    const started = await replicaA.api('POST', `/api/notebooks/${owner.fileId}/jobs`, { mode: 'live' });
    expect(started.status).toBe(201);
    const { id } = await started.json();
    await eventually(async () => expect((await (await replicaA.api('GET', `/api/jobs/${id}`)).json()).status).toBe('running'), 30_000, 200);
    expect((await replicaA.api('POST', `/api/jobs/${id}/cancel`)).status).toBe(202);
    for (const replica of cluster.replicas) {
      await eventually(async () => expect((await (await replica.api('GET', `/api/jobs/${id}`)).json()).status).toBe('cancelled'), 30_000, 200);
    }
    expect((await replicaA.api('GET', '/api/jobs/no-such-job')).status).toBe(404);
  } finally {
    owner.destroy();
  }
});
