// Join storm: many clients open a large notebook at the same moment. The figure is the time
// from the storm's start until each client has the whole document, and the server's peak
// memory meanwhile. Clients only receive the state (they do not decode it), so the load
// process stays cheap; one client afterwards decodes it to check it is the whole notebook.
import * as Y from 'yjs';
import type { JoinParams } from '../config.js';
import { LoadClient } from '../lib/load-client.js';
import { largeNotebook } from '../lib/notebooks.js';
import { RssWatcher, settledRssKb } from '../lib/proc.js';
import { openRoom } from '../lib/rooms.js';
import { now, summarize } from '../lib/stats.js';
import { closeAll, peakRssMb, replicaCount, serverProcesses } from './common.js';
import type { Metric, Suite } from './types.js';

export const join: Suite<JoinParams> = async ({ server, params }) => {
  const notes: string[] = [];
  const nb = largeNotebook(params.notebookBytes);
  const room = await openRoom(server, 'storm', nb);
  const replicas = replicaCount(server);
  const relayKeepers: LoadClient[] = [];
  const relayLoads: number[] = [];
  for (let r = 1; r < replicas; r++) {
    const keeper = new LoadClient({ url: room.url('editor', r), dialect: room.dialect });
    const started = now();
    await keeper.connect();
    if ((await keeper.sync()) < 0) throw new Error(`replica ${r} closed the room during its first sync (${keeper.closeCode} ${keeper.closeReason})`);
    relayLoads.push(now() - started);
    relayKeepers.push(keeper);
  }
  const pids = serverProcesses(server);
  const before = Math.max(...(await Promise.all(pids.map(async (pid) => (await settledRssKb(pid)) ?? 0))));
  const watchers = pids.map((pid) => new RssWatcher(pid));

  const times: number[] = [];
  const sizes: number[] = [];
  const clients: LoadClient[] = [];
  let _failed = 0;
  let firstError: string | null = null;
  const t0 = now();
  const deadline = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), params.timeoutSeconds * 1000).unref());
  await Promise.race([
    deadline,
    Promise.all(
      Array.from({ length: params.clients }, async (_, i) => {
        const c = new LoadClient({ url: room.url('editor', i), dialect: room.dialect });
        clients.push(c);
        try {
          await c.connect(params.timeoutSeconds * 1000);
          const size = await c.sync();
          if (size < 0) throw new Error(`closed during sync (${c.closeCode} ${c.closeReason})`);
          times.push(now() - t0);
          sizes.push(size);
        } catch (err) {
          _failed++;
          firstError ??= (err as Error).message;
        }
      }),
    ),
  ]);
  const peakKb = Math.max(...watchers.map((w) => w.stop()));
  const hwm = peakRssMb(server);
  if (times.length < params.clients) {
    notes.push(
      `${params.clients - times.length} of ${params.clients} clients had not synced after ${params.timeoutSeconds} s${firstError ? ` (${firstError})` : ''}.`,
    );
  }
  const short = sizes.filter((s) => s < room.stateBytes * 0.9).length;
  if (short) notes.push(`${short} clients received a state smaller than the notebook's (${room.stateBytes} bytes).`);
  await closeAll([...clients, ...relayKeepers]);

  // One more client decodes what the server sends, to check it is the whole notebook.
  const doc = new Y.Doc();
  const check = new LoadClient({ url: room.url('editor'), dialect: room.dialect, doc });
  await check.connect();
  await check.sync();
  const cells = doc.getArray('cells').length;
  if (cells !== nb.cells.length) notes.push(`A client decoded ${cells} cells; the notebook has ${nb.cells.length}.`);
  check.destroy();
  await room.close();

  const s = summarize(times);
  return {
    metrics: [
      { label: 'p50 time to synced', unit: 'ms', value: s.p50, better: 'lower' },
      { label: 'p99 time to synced', unit: 'ms', value: s.p99, better: 'lower' },
      { label: 'time until all synced', unit: 'ms', value: times.length === params.clients ? s.max : null, better: 'lower' },
      { label: 'clients synced', unit: 'count', value: times.length, better: 'higher' },
      { label: 'peak server RSS during the storm', unit: 'MB', value: peakKb / 1024, better: 'lower' },
      { label: 'RSS growth during the storm', unit: 'MB', value: (peakKb - before) / 1024, better: 'lower' },
      { label: 'server RSS with the notebook loaded', unit: 'MB', value: before / 1024, better: 'lower' },
      { label: 'peak server RSS since start (VmHWM)', unit: 'MB', value: hwm, better: 'lower' },
      ...(replicas > 1
        ? ([
            {
              label: 'first join on another replica (it fetches the notebook from the owner), slowest',
              unit: 'ms',
              value: Math.max(...relayLoads),
              better: 'lower',
            },
          ] satisfies Metric[])
        : []),
    ],
    notes,
  };
};
