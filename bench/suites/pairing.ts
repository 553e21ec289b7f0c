// Pairing: many editors type at once, each into its own cell. Latency is measured at every
// other editor; at the end every replica, and a fresh client reading the server, must agree.
import * as Y from 'yjs';
import type { PairingParams } from '../config.js';
import { LoadClient } from '../lib/load-client.js';
import { docContent, typingNotebook } from '../lib/notebooks.js';
import { CpuWindow } from '../lib/proc.js';
import { openRoom } from '../lib/rooms.js';
import { closeAll, converged, joinAll, LatencyProbe, peakRssMb, sleep, Typist, waitUntil } from './common.js';
import type { Suite } from './types.js';

export const pairing: Suite<PairingParams> = async ({ server, params, connectBatch }) => {
  const notes: string[] = [];
  const room = await openRoom(server, 'pairing', typingNotebook(params.editors));
  const warmupEdits = Math.round(params.warmupSeconds * params.editsPerSecond);
  const probe = new LatencyProbe(() => warmupEdits);
  const docs: Y.Doc[] = [];
  const {
    clients: editors,
    failed,
    firstError,
  } = await joinAll(params.editors, connectBatch, (i) => {
    const doc = new Y.Doc();
    docs[i] = doc;
    return new LoadClient({ url: room.url('editor'), dialect: room.dialect, doc, onUpdate: probe.listener(i) });
  });
  if (failed) throw new Error(`${failed} editors could not join: ${firstError}`);

  const period = 1000 / params.editsPerSecond;
  const typists = docs.map((doc, i) => new Typist(doc, i, i, params.editsPerSecond));
  // Spread the editors' keystrokes over the period, as independent people's would be.
  for (const [i, t] of typists.entries()) t.start((i * period) / typists.length);
  await sleep(params.warmupSeconds * 1000);
  const cpu = new CpuWindow(server.pid);
  const measureStart = performance.now();
  await sleep((params.seconds - params.warmupSeconds) * 1000);
  for (const t of typists) t.stop();
  const cores = cpu.cores();
  const measured = typists.reduce((n, t) => n + Math.max(0, t.sent - warmupEdits), 0);
  const expected = measured * (params.editors - 1);
  await waitUntil(() => probe.received >= expected, 10_000);
  const window = (performance.now() - measureStart) / 1000;
  const replicasConverged = await waitUntil(() => converged(docs), 15_000, 100);

  // What the server holds, read by a client that joins after the fact.
  const checkDoc = new Y.Doc();
  const checker = new LoadClient({ url: room.url('editor'), dialect: room.dialect, doc: checkDoc });
  await checker.connect();
  await checker.sync();
  const reference = JSON.stringify(docContent(checkDoc));
  const equal = replicasConverged && docs.every((d) => JSON.stringify(docContent(d)) === reference);
  if (!equal) notes.push('Replicas differ at the end: see the load log.');
  if (probe.received < expected) notes.push(`${expected - probe.received} of ${expected} edit deliveries never arrived.`);

  const s = probe.samples.summary();
  checker.destroy();
  await closeAll(editors);
  await room.close();
  return {
    metrics: [
      { label: 'p50 send to receipt', unit: 'ms', value: s.p50, better: 'lower' },
      { label: 'p99 send to receipt', unit: 'ms', value: s.p99, better: 'lower' },
      { label: 'max send to receipt', unit: 'ms', value: s.max, better: 'lower' },
      { label: 'deliveries per second', unit: 'per s', value: probe.received / window, better: 'higher' },
      { label: 'all replicas equal at the end', unit: 'yes/no', value: equal ? 1 : 0, better: 'higher' },
      { label: 'server CPU while typing', unit: 'cores', value: cores, better: 'lower' },
      { label: 'peak server RSS', unit: 'MB', value: peakRssMb(server), better: 'lower' },
    ],
    notes,
  };
};
