// Footprint: what the server's resident memory grows by for each idle connection, and for
// each loaded notebook (with the one connection that keeps it open). Each is measured on a
// fresh server, as the lowest RSS over an idle window after the load (proc.ts, idleRssKb), read
// at several points as the load arrives and fitted with a line, so that allocator noise stays
// small beside the total.
import type { FootprintParams } from '../config.js';
import { LoadClient } from '../lib/load-client.js';
import { sizedNotebook, typingNotebook } from '../lib/notebooks.js';
import { idleRssKb } from '../lib/proc.js';
import { openRoom, type Room } from '../lib/rooms.js';
import { slope } from '../lib/stats.js';
import { closeAll, joinAll } from './common.js';
import type { Suite } from './types.js';

/** One reading: the server's lowest RSS over an idle window, in MB. */
async function idleRssMb(pid: number, params: FootprintParams): Promise<number> {
  return ((await idleRssKb(pid, params.idleMs, params.settleMs)) ?? Number.NaN) / 1024;
}

export const footprintConnections: Suite<FootprintParams> = async ({ server, params, connectBatch }) => {
  const notes: string[] = [];
  const room = await openRoom(server, 'idle', typingNotebook(4));
  const readings = [{ x: 0, y: await idleRssMb(server.pid, params) }];
  const clients: LoadClient[] = [];
  const perReading = Math.ceil(params.idleConnections / params.readings);
  let failures = 0;
  let firstFailure: string | null = null;
  while (readings.length <= params.readings && clients.length + failures < params.idleConnections) {
    const share = Math.min(perReading, params.idleConnections - clients.length - failures);
    const offset = clients.length + failures;
    const joined = await joinAll(
      share,
      connectBatch,
      (i) => new LoadClient({ url: room.url('editor'), dialect: room.dialect, localAddress: `127.0.20.${1 + ((offset + i) % params.addresses)}` }),
    );
    clients.push(...joined.clients);
    failures += joined.failed;
    firstFailure ??= joined.firstError;
    readings.push({ x: clients.length, y: await idleRssMb(server.pid, params) });
  }
  if (failures) notes.push(`${failures} of ${params.idleConnections} connections failed (${firstFailure}).`);
  notes.push(`RSS (MB) with each share of the connections: ${readings.map((r) => `${r.x}: ${r.y.toFixed(1)}`).join(', ')}.`);
  await closeAll(clients);
  await room.close();
  return {
    metrics: [
      { label: 'memory per idle connection', unit: 'KB', value: slope(readings) * 1024, better: 'lower' },
      { label: 'server RSS with one open notebook', unit: 'MB', value: readings[0].y, better: 'lower' },
    ],
    notes,
  };
};

export const footprintNotebooks: Suite<FootprintParams> = async ({ server, params }) => {
  const notes: string[] = [];
  const nb = sizedNotebook(params.notebookBytes);
  // One notebook first, unmeasured: the first load pays one-off costs (code loaded and
  // compiled on first use, a validator built from the schema) that say nothing about what
  // each further notebook costs, and divided by a handful of notebooks they would dominate.
  const rooms: Room[] = [await openRoom(server, 'footprint-warm-up', nb)];
  const readings = [{ x: 0, y: await idleRssMb(server.pid, params) }];
  const perReading = Math.ceil(params.notebooks / params.readings);
  while (rooms.length - 1 < params.notebooks) {
    const upTo = Math.min(params.notebooks, rooms.length - 1 + perReading);
    while (rooms.length - 1 < upTo) rooms.push(await openRoom(server, `footprint-${rooms.length - 1}`, nb));
    readings.push({ x: upTo, y: await idleRssMb(server.pid, params) });
  }
  await Promise.all(rooms.map((r) => r.close()));
  notes.push(`RSS (MB) after each share of the notebooks: ${readings.map((r) => `${r.x}: ${r.y.toFixed(1)}`).join(', ')}.`);
  return {
    metrics: [
      { label: 'memory per loaded notebook', unit: 'MB', value: slope(readings), better: 'lower' },
      { label: 'server RSS with one notebook loaded', unit: 'MB', value: readings[0].y, better: 'lower' },
    ],
    notes,
  };
};
