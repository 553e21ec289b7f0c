// Viewers per replica: the same number of read-only viewers on each replica of a cluster as on
// one process, and the resident memory each process holds with them. If a replica holds its
// share at what one process holds for the same share, three replicas hold three times the
// viewers in the memory of one process each: the cost of cluster mode is what it adds per replica.
import type { ViewersParams } from '../config.js';
import { LoadClient } from '../lib/load-client.js';
import { sizedNotebook } from '../lib/notebooks.js';
import { settledRssKb } from '../lib/proc.js';
import { openRoom } from '../lib/rooms.js';
import { closeAll, joinAll, replicaCount, serverProcesses } from './common.js';
import type { Suite } from './types.js';

async function rssOfEach(pids: number[], ms: number): Promise<number[]> {
  return Promise.all(pids.map(async (pid) => ((await settledRssKb(pid, ms)) ?? Number.NaN) / 1024));
}

export const viewers: Suite<ViewersParams> = async ({ server, params, connectBatch }) => {
  const notes: string[] = [];
  const replicas = replicaCount(server);
  const room = await openRoom(server, 'viewers', sizedNotebook(params.notebookBytes));
  // The room open on every replica (its own keeper on the first), so that what follows is the viewers alone.
  const keepers: LoadClient[] = [];
  for (let r = 1; r < replicas; r++) {
    const keeper = new LoadClient({ url: room.url('editor', r), dialect: room.dialect });
    await keeper.connect();
    if ((await keeper.sync()) < 0) throw new Error(`replica ${r} closed the room during its first sync`);
    keepers.push(keeper);
  }
  const pids = serverProcesses(server);
  const before = await rssOfEach(pids, params.settleMs);
  const wanted = params.viewersPerReplica * replicas;
  const { clients, failed, firstError } = await joinAll(
    wanted,
    connectBatch,
    (i) => new LoadClient({ url: room.url('viewer', i), dialect: room.dialect, readOnly: true }),
  );
  if (failed) notes.push(`${failed} of ${wanted} viewers could not join (${firstError}).`);
  const after = await rssOfEach(pids, params.settleMs * 1.5);
  await closeAll([...clients, ...keepers]);
  await room.close();
  const growth = after.map((mb, i) => mb - before[i]);
  return {
    metrics: [
      { label: 'viewers held, all processes', unit: 'count', value: clients.length, better: 'higher' },
      { label: 'RSS of a process with its viewers, largest', unit: 'MB', value: Math.max(...after), better: 'lower' },
      { label: 'RSS of a process with its viewers, mean', unit: 'MB', value: after.reduce((a, b) => a + b, 0) / after.length, better: 'lower' },
      { label: 'RSS of a process before its viewers, mean', unit: 'MB', value: before.reduce((a, b) => a + b, 0) / before.length, better: 'lower' },
      {
        label: 'memory per viewer',
        unit: 'KB',
        value: (growth.reduce((a, b) => a + b, 0) * 1024) / Math.max(1, clients.length),
        better: 'lower',
      },
    ],
    notes,
  };
};
