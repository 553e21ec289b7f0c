// An audience: thousands of idle viewers (a viewer share link on Tandem) follow one notebook
// while one editor types, as a lecture hall follows the lecturer. The figures are whether every
// edit reached every viewer, how late, and what the server's memory is with all of them. The
// viewers only scan the raw bytes for tags (no Y.Doc), so one load process can hold them all;
// they connect from several loopback addresses, as an audience comes from many machines.
import { readFileSync } from 'node:fs';
import * as Y from 'yjs';
import type { AudienceParams } from '../config.js';
import { LoadClient } from '../lib/load-client.js';
import { typingNotebook } from '../lib/notebooks.js';
import { CpuWindow, RssWatcher, settledRssKb } from '../lib/proc.js';
import { openRoom } from '../lib/rooms.js';
import { closeAll, cpuPids, joinAll, LatencyProbe, sleep, Typist, waitUntil } from './common.js';
import type { Suite } from './types.js';

/** The soft limit on open files of a process, from /proc (null if unreadable). */
function openFilesLimit(pid: number | 'self'): number | null {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === 'unlimited' ? Number.POSITIVE_INFINITY : soft ? Number(soft) : null;
  } catch {
    return null;
  }
}

export const audience: Suite<AudienceParams> = async ({ server, params, connectBatch }) => {
  const notes: string[] = [];
  // Each socket is a file on both sides; a limit below the audience fails the run in words.
  const needed = params.viewers + 200;
  for (const [who, pid] of [
    ['the load process', 'self'],
    ['the server', server.pid],
  ] as const) {
    const limit = openFilesLimit(pid);
    if (limit !== null && limit < needed) {
      throw new Error(`${who} may open ${limit} files, fewer than the ${needed} this run needs: raise the hard limit (ulimit -Hn) and run again`);
    }
  }
  const room = await openRoom(server, 'audience', typingNotebook(4));
  const writerDoc = new Y.Doc();
  const writer = new LoadClient({ url: room.url('editor'), dialect: room.dialect, doc: writerDoc });
  await writer.connect();
  await writer.sync();
  const rssBefore = (await settledRssKb(server.pid, params.settleMs)) ?? Number.NaN;

  const warmupEdits = Math.round(params.warmupSeconds * params.editsPerSecond);
  const probe = new LatencyProbe(() => warmupEdits);
  const peak = new RssWatcher(server.pid, 50);
  const joinStart = performance.now();
  const { clients, failed, firstError } = await joinAll(
    params.viewers,
    connectBatch,
    (i) =>
      new LoadClient({
        url: room.url('viewer', i),
        dialect: room.dialect,
        readOnly: true,
        localAddress: `127.0.10.${1 + (i % params.addresses)}`,
        onUpdate: probe.listener(null),
      }),
  );
  const joinSeconds = (performance.now() - joinStart) / 1000;
  if (failed) notes.push(`${failed} of ${params.viewers} viewers could not join (${firstError}).`);
  const rssWithViewers = (await settledRssKb(server.pid, params.settleMs)) ?? Number.NaN;

  const typist = new Typist(writerDoc, 0, 0, params.editsPerSecond);
  const total = Math.round(params.seconds * params.editsPerSecond);
  typist.start();
  await sleep(params.warmupSeconds * 1000);
  const cpu = new CpuWindow(cpuPids(server));
  await waitUntil(() => typist.sent >= total, params.seconds * 1000 + 10_000);
  typist.stop();
  const cores = cpu.cores();
  const expected = (typist.sent - warmupEdits) * clients.length;
  await waitUntil(() => probe.received >= expected, 20_000);
  const peakKb = peak.stop();
  const s = probe.samples.summary();
  if (probe.received < expected) notes.push(`${expected - probe.received} of ${expected} edit deliveries never arrived.`);
  const closed = clients.filter((c) => !c.isOpen()).length;
  if (closed) notes.push(`${closed} viewers were disconnected during the run.`);
  const denied = clients.reduce((n, c) => n + c.denied, 0);
  if (denied) notes.push(`${denied} permission-denied answers to viewers that never wrote.`);

  await closeAll(clients);
  writer.destroy();
  await room.close();
  return {
    metrics: [
      { label: 'viewers joined', unit: 'count', value: clients.length, better: 'higher' },
      { label: 'deliveries received', unit: '%', value: expected ? (100 * probe.received) / expected : null, better: 'higher' },
      { label: 'p50 send to receipt', unit: 'ms', value: s.p50, better: 'lower' },
      { label: 'p99 send to receipt', unit: 'ms', value: s.p99, better: 'lower' },
      { label: 'max send to receipt', unit: 'ms', value: s.max, better: 'lower' },
      { label: 'server RSS with the viewers, settled', unit: 'MB', value: rssWithViewers / 1024, better: 'lower' },
      { label: 'peak server RSS', unit: 'MB', value: peakKb / 1024, better: 'lower' },
      { label: 'server RSS before the viewers', unit: 'MB', value: rssBefore / 1024, better: 'lower' },
      { label: 'memory per viewer', unit: 'KB', value: (rssWithViewers - rssBefore) / Math.max(1, clients.length), better: 'lower' },
      { label: 'server CPU while typing', unit: 'cores', value: cores, better: 'lower' },
      { label: 'viewers joined in', unit: 'ms', value: joinSeconds * 1000, better: 'lower' },
    ],
    notes,
  };
};
