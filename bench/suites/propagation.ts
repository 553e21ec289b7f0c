// Propagation: one writer types into a cell at a fixed rate while read-only observers watch;
// the figure is the time from the writer's send to each observer's receipt. On a cluster the
// writer is on the first replica (the notebook's owner) and the observers are spread evenly
// over all of them; the latency is also given apart for the owner's and the other replicas.
import * as Y from 'yjs';
import type { PropagationParams } from '../config.js';
import { LoadClient } from '../lib/load-client.js';
import { typingNotebook } from '../lib/notebooks.js';
import { CpuWindow } from '../lib/proc.js';
import { openRoom } from '../lib/rooms.js';
import { Samples } from '../lib/stats.js';
import { closeAll, cpuPids, joinAll, LatencyProbe, peakRssMb, replicaCount, sleep, Typist, waitUntil } from './common.js';
import type { Metric, Suite } from './types.js';

export const propagation: Suite<PropagationParams> = async ({ server, params, connectBatch }) => {
  const notes: string[] = [];
  const room = await openRoom(server, 'propagation', typingNotebook(4));
  const writerDoc = new Y.Doc();
  const writer = new LoadClient({ url: room.url('editor'), dialect: room.dialect, doc: writerDoc });
  await writer.connect();
  await writer.sync();

  const warmupEdits = Math.round(params.warmupSeconds * params.editsPerSecond);
  const replicas = replicaCount(server);
  // Observers on the writer's replica, and on the others (a cluster's only).
  const probes = [new LatencyProbe(() => warmupEdits), new LatencyProbe(() => warmupEdits)];
  const received = (): number => probes[0].received + probes[1].received;
  const joinStart = performance.now();
  const {
    clients: observers,
    failed,
    firstError,
  } = await joinAll(
    params.observers,
    connectBatch,
    (i) =>
      new LoadClient({
        url: room.url('viewer', i),
        dialect: room.dialect,
        readOnly: true,
        onUpdate: probes[i % replicas === 0 ? 0 : 1].listener(null),
      }),
  );
  const joinSeconds = (performance.now() - joinStart) / 1000;
  if (failed) notes.push(`${failed} of ${params.observers} observers could not join (${firstError}).`);

  const typist = new Typist(writerDoc, 0, 0, params.editsPerSecond);
  const total = Math.round(params.seconds * params.editsPerSecond);
  typist.start();
  await sleep(params.warmupSeconds * 1000);
  const cpu = new CpuWindow(cpuPids(server));
  const measureStart = performance.now();
  await waitUntil(() => typist.sent >= total, params.seconds * 1000 + 10_000);
  typist.stop();
  const cores = cpu.cores();
  const measured = typist.sent - warmupEdits;
  const expected = measured * observers.length;
  await waitUntil(() => received() >= expected, 10_000);
  const window = (performance.now() - measureStart) / 1000;
  const all = new Samples();
  for (const p of probes) all.merge(p.samples);
  const s = all.summary();
  if (received() < expected) notes.push(`${expected - received()} of ${expected} edit deliveries never arrived.`);
  const denied = observers.reduce((n, o) => n + o.denied, 0);
  if (denied) notes.push(`${denied} permission-denied answers to observers that never wrote.`);

  await closeAll(observers);
  writer.destroy();
  await room.close();
  return {
    metrics: [
      { label: 'p50 send to receipt', unit: 'ms', value: s.p50, better: 'lower' },
      { label: 'p99 send to receipt', unit: 'ms', value: s.p99, better: 'lower' },
      { label: 'max send to receipt', unit: 'ms', value: s.max, better: 'lower' },
      ...(replicas > 1
        ? ([
            { label: "p99 at observers on the writer's replica (the owner)", unit: 'ms', value: probes[0].samples.summary().p99, better: 'lower' },
            { label: 'p99 at observers on the other replicas', unit: 'ms', value: probes[1].samples.summary().p99, better: 'lower' },
          ] satisfies Metric[])
        : []),
      { label: 'deliveries received', unit: '%', value: expected ? (100 * received()) / expected : null, better: 'higher' },
      { label: 'deliveries per second', unit: 'per s', value: received() / window, better: 'higher' },
      // A server starved of CPU falls behind and its latencies grow with the backlog: say so.
      {
        label: 'kept up with the typing (95% of the deliveries typed per second)',
        unit: 'yes/no',
        value: received() / window >= 0.95 * observers.length * params.editsPerSecond ? 1 : 0,
        better: 'higher',
      },
      { label: 'server CPU while typing', unit: 'cores', value: cores, better: 'lower' },
      { label: 'observers joined in', unit: 'ms', value: joinSeconds * 1000, better: 'lower' },
      { label: 'peak server RSS', unit: 'MB', value: peakRssMb(server), better: 'lower' },
    ],
    notes,
  };
};
