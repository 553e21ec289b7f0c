// Clients that never read cannot grow the server without end: each socket is terminated at
// its own send-buffer limit, all sockets share one budget, and a share link (and an address)
// may hold only so many sockets.

import * as encoding from 'lib0/encoding';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventually, openSession } from '../helpers/clients';
import { makeNotebook } from '../helpers/notebooks';
import { MB } from '../helpers/process-memory';
import { openRaw, type RawSocket, roomUrl } from '../helpers/raw-socket';
import { startTandem, type TandemProcess } from '../helpers/tandem';

let server: TandemProcess;
let viewerToken: string;

beforeAll(async () => {
  // Defaults but for the total budget, which stays well under what the sockets below ask for.
  server = await startTandem({ args: ['--send-budget-mb', '128'] });
  const response = await server.api('PUT', '/api/contents/big.ipynb', {
    type: 'notebook',
    format: 'json',
    content: makeNotebook([{ id: 'a', source: 'x'.repeat(4 * MB) }]),
  });
  expect(response.status).toBe(201);
  viewerToken = (await (await server.api('POST', '/api/shares', { path: 'big.ipynb', role: 'viewer' })).json()).token;
});
afterAll(async () => {
  await server.stop();
});

/** Sync step 1 with a state vector that knows one client: the server encodes a fresh reply each time. */
function stepOneKnowingSomething(): Uint8Array {
  const vector = encoding.createEncoder();
  encoding.writeVarUint(vector, 1);
  encoding.writeVarUint(vector, 1);
  encoding.writeVarUint(vector, 0);
  const message = encoding.createEncoder();
  encoding.writeVarUint(message, 0);
  encoding.writeVarUint(message, 0);
  encoding.writeVarUint8Array(message, encoding.toUint8Array(vector));
  return encoding.toUint8Array(message);
}

function stopReading(raw: RawSocket): void {
  (raw.socket as unknown as { _socket: { pause(): void } })._socket.pause();
}

test('sixteen view-link sockets that never read are terminated, not left closing with their buffers', async () => {
  const { fileId, sessionId } = await openSession(server, 'big.ipynb', viewerToken);
  const sockets = await Promise.all(Array.from({ length: 16 }, () => openRaw(roomUrl(server, fileId, sessionId, viewerToken))));
  for (const raw of sockets) stopReading(raw);
  // Each asks for the 4 MB notebook 40 times: 160 MB a socket, 2.5 GB in all, paced so that
  // all of them hold buffers at once.
  for (let round = 0; round < 40; round++) {
    for (const raw of sockets) if (raw.socket.readyState === raw.socket.OPEN) raw.send(stepOneKnowingSomething());
    await new Promise((r) => setTimeout(r, 20));
  }
  // The server has let go of every one of them. A graceful close would wait for a closing
  // handshake these clients never read, holding each buffer until the close timeout (30 s).
  await eventually(async () => expect((await (await server.api('GET', '/api/status')).json()).connections).toBe(0), 15_000);
  // Terminated: a client reading again finds no closing handshake.
  for (const raw of sockets) (raw.socket as unknown as { _socket: { resume(): void } })._socket.resume();
  const closes = await Promise.all(sockets.map((raw) => raw.closed));
  for (const close of closes) expect(close.code).toBe(1006);
  expect((await server.api('GET', '/api/status')).status).toBe(200);
});

test('a share link, and an address, may hold only so many room sockets; the owner is not counted', async () => {
  const capped = await startTandem({ args: ['--max-link-sockets', '3', '--max-address-sockets', '4'] });
  try {
    await capped.api('PUT', '/api/contents/a.ipynb', { type: 'notebook', format: 'json', content: makeNotebook([{ id: 'a', source: '1' }]) });
    const share = async () => (await (await capped.api('POST', '/api/shares', { path: 'a.ipynb', role: 'viewer' })).json()).token as string;
    const [first, second] = [await share(), await share()];
    const { fileId, sessionId } = await openSession(capped, 'a.ipynb', first);
    const open: RawSocket[] = [];
    for (let i = 0; i < 3; i++) open.push(await openRaw(roomUrl(capped, fileId, sessionId, first)));
    await expect(openRaw(roomUrl(capped, fileId, sessionId, first))).rejects.toThrow(/429/);
    // Another link from the same address: one more fits under the address cap, then no more.
    open.push(await openRaw(roomUrl(capped, fileId, sessionId, second)));
    await expect(openRaw(roomUrl(capped, fileId, sessionId, second))).rejects.toThrow(/429/);
    for (let i = 0; i < 5; i++) open.push(await openRaw(roomUrl(capped, fileId, sessionId)));
    // Closing frees a place.
    open[0].close();
    await open[0].closed;
    await eventually(async () => {
      const again = await openRaw(roomUrl(capped, fileId, sessionId, first));
      open.push(again);
    });
    for (const raw of open) raw.close();
  } finally {
    await capped.stop();
  }
});
