// Presence: many clients publish awareness (cursor, selection) once a second while one writer
// types. The figures are the server's CPU, the edits' latency under that load, and the cursors'
// own latency (each state carries its send time; a few clients read them). On a cluster the
// clients are spread evenly over the replicas, and the writer is on the first (the owner).
import * as Y from 'yjs';
import type { PresenceParams } from '../config.js';
import { awarenessFrame, awarenessStates } from '../lib/frames.js';
import { LoadClient } from '../lib/load-client.js';
import { typingNotebook } from '../lib/notebooks.js';
import { CpuWindow } from '../lib/proc.js';
import { openRoom } from '../lib/rooms.js';
import { now, Samples } from '../lib/stats.js';
import { closeAll, cpuPids, joinAll, LatencyProbe, peakRssMb, replicaCount, sleep, Typist, waitUntil } from './common.js';
import type { Metric, Suite } from './types.js';

const COLORS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#46f0f0'];
/** One client in this many reads the cursors' send times (all of them would load the load process more than the server). */
const CURSOR_READER_EVERY = 25;
const clientIdOf = (i: number): number => 1_000_000 + i;

export const presence: Suite<PresenceParams> = async ({ server, params, connectBatch }) => {
  const notes: string[] = [];
  const room = await openRoom(server, 'presence', typingNotebook(4));
  const warmupEdits = Math.round(params.warmupSeconds * params.editsPerSecond);
  const probe = new LatencyProbe(() => warmupEdits);
  let awarenessIn = 0;
  const replicas = replicaCount(server);
  // Cursors from clients on the reader's replica, and (on a cluster) from the other replicas.
  const cursors = { same: new Samples(), other: new Samples() };
  let measuringCursors = false;
  const readCursors = (reader: number) => (payload: Uint8Array) => {
    if (!measuringCursors) return;
    const at = now();
    for (const { clientId, state } of awarenessStates(payload)) {
      const sentAt = (state as { t?: unknown } | null)?.t;
      const sender = clientId - clientIdOf(0);
      if (sender === reader || typeof sentAt !== 'number') continue;
      (sender % replicas === reader % replicas ? cursors.same : cursors.other).push(at - sentAt);
    }
  };
  // Editors, as in the other servers: Tandem does not fan out viewers' awareness at all.
  const { clients, failed, firstError } = await joinAll(params.clients, connectBatch, (i) => {
    const readsCursors = i % CURSOR_READER_EVERY === 0 ? readCursors(i) : null;
    return new LoadClient({
      url: room.url('editor', i),
      dialect: room.dialect,
      onUpdate: probe.listener(null),
      onAwareness: (payload) => {
        awarenessIn++;
        readsCursors?.(payload);
      },
    });
  });
  if (failed) notes.push(`${failed} of ${params.clients} clients could not join (${firstError}).`);

  const writerDoc = new Y.Doc();
  const writer = new LoadClient({ url: room.url('editor'), dialect: room.dialect, doc: writerDoc });
  await writer.connect();
  await writer.sync();

  // Each client moves its cursor once a period, at its own phase.
  const period = 1000 / params.awarenessHz;
  const timers: NodeJS.Timeout[] = [];
  clients.forEach((c, i) => {
    const clientId = clientIdOf(i);
    let clock = 0;
    const user = { name: `Load ${i}`, color: COLORS[i % COLORS.length] };
    const send = (): void => {
      const head = Math.floor(Math.random() * 40);
      c.sendFrame(awarenessFrame(clientId, ++clock, { user, cursors: [{ cell: i % 4, anchor: head, head }], t: now() }));
    };
    timers.push(
      setTimeout(() => {
        send();
        timers.push(setInterval(send, period));
      }, Math.random() * period),
    );
  });

  const typist = new Typist(writerDoc, 0, 0, params.editsPerSecond);
  typist.start();
  await sleep(params.warmupSeconds * 1000);
  const cpu = new CpuWindow(cpuPids(server));
  measuringCursors = true;
  const awarenessStart = awarenessIn;
  const windowStart = performance.now();
  await sleep((params.seconds - params.warmupSeconds) * 1000);
  const cores = cpu.cores();
  const window = (performance.now() - windowStart) / 1000;
  const awarenessRate = (awarenessIn - awarenessStart) / window;
  measuringCursors = false;
  const allCursors = new Samples();
  allCursors.merge(cursors.same);
  allCursors.merge(cursors.other);
  const c = allCursors.summary();
  typist.stop();
  for (const t of timers) clearTimeout(t);
  const expected = Math.max(0, typist.sent - warmupEdits) * clients.length;
  await waitUntil(() => probe.received >= expected, 10_000);
  if (probe.received < expected) notes.push(`${expected - probe.received} of ${expected} edit deliveries never arrived.`);

  const s = probe.samples.summary();
  writer.destroy();
  await closeAll(clients);
  await room.close();
  return {
    metrics: [
      { label: 'server CPU', unit: 'cores', value: cores, better: 'lower' },
      { label: 'p50 edit latency', unit: 'ms', value: s.p50, better: 'lower' },
      { label: 'p99 edit latency', unit: 'ms', value: s.p99, better: 'lower' },
      { label: 'max edit latency', unit: 'ms', value: s.max, better: 'lower' },
      { label: 'p50 cursor latency', unit: 'ms', value: c.p50, better: 'lower' },
      { label: 'p99 cursor latency', unit: 'ms', value: c.p99, better: 'lower' },
      ...(replicas > 1
        ? ([
            { label: "p50 cursor latency, sender on the reader's replica", unit: 'ms', value: cursors.same.summary().p50, better: 'lower' },
            { label: 'p50 cursor latency, sender on another replica', unit: 'ms', value: cursors.other.summary().p50, better: 'lower' },
          ] satisfies Metric[])
        : []),
      { label: 'awareness frames delivered', unit: 'per s', value: awarenessRate, better: 'none' },
      { label: 'peak server RSS', unit: 'MB', value: peakRssMb(server), better: 'lower' },
    ],
    notes,
  };
};
