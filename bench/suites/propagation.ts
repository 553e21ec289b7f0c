// Propagation: one writer types into a cell at a fixed rate while read-only observers watch;
// the figure is the time from the writer's send to each observer's receipt.
import * as Y from 'yjs';
import type { PropagationParams } from '../config.js';
import { LoadClient } from '../lib/load-client.js';
import { typingNotebook } from '../lib/notebooks.js';
import { CpuWindow } from '../lib/proc.js';
import { openRoom } from '../lib/rooms.js';
import { closeAll, joinAll, LatencyProbe, peakRssMb, sleep, Typist, waitUntil } from './common.js';
import type { Suite } from './types.js';

export const propagation: Suite<PropagationParams> = async ({ server, params, connectBatch }) => {
  const notes: string[] = [];
  const room = await openRoom(server, 'propagation', typingNotebook(4));
  const writerDoc = new Y.Doc();
  const writer = new LoadClient({ url: room.url('editor'), dialect: room.dialect, doc: writerDoc });
  await writer.connect();
  await writer.sync();

  const warmupEdits = Math.round(params.warmupSeconds * params.editsPerSecond);
  const probe = new LatencyProbe(() => warmupEdits);
  const joinStart = performance.now();
  const {
    clients: observers,
    failed,
    firstError,
  } = await joinAll(
    params.observers,
    connectBatch,
    () => new LoadClient({ url: room.url('viewer'), dialect: room.dialect, readOnly: true, onUpdate: probe.listener(null) }),
  );
  const joinSeconds = (performance.now() - joinStart) / 1000;
  if (failed) notes.push(`${failed} of ${params.observers} observers could not join (${firstError}).`);

  const typist = new Typist(writerDoc, 0, 0, params.editsPerSecond);
  const total = Math.round(params.seconds * params.editsPerSecond);
  typist.start();
  await sleep(params.warmupSeconds * 1000);
  const cpu = new CpuWindow(server.pid);
  const measureStart = performance.now();
  await waitUntil(() => typist.sent >= total, params.seconds * 1000 + 10_000);
  typist.stop();
  const cores = cpu.cores();
  const measured = typist.sent - warmupEdits;
  const expected = measured * observers.length;
  await waitUntil(() => probe.received >= expected, 10_000);
  const window = (performance.now() - measureStart) / 1000;
  const s = probe.samples.summary();
  if (probe.received < expected) notes.push(`${expected - probe.received} of ${expected} edit deliveries never arrived.`);
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
      { label: 'deliveries received', unit: '%', value: expected ? (100 * probe.received) / expected : null, better: 'higher' },
      { label: 'deliveries per second', unit: 'per s', value: probe.received / window, better: 'higher' },
      { label: 'server CPU while typing', unit: 'cores', value: cores, better: 'lower' },
      { label: 'observers joined in', unit: 'ms', value: joinSeconds * 1000, better: 'lower' },
      { label: 'peak server RSS', unit: 'MB', value: peakRssMb(server.pid), better: 'lower' },
    ],
    notes,
  };
};
