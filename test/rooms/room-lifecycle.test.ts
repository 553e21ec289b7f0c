import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectNotebook, eventually, openSession } from '../helpers/clients';
import { makeNotebook } from '../helpers/notebooks';
import { openRaw, roomUrl, syncStep1 } from '../helpers/raw-socket';
import { startTandem, type TandemProcess } from '../helpers/tandem';

let server: TandemProcess;
beforeAll(async () => {
  // A short grace period, a small send buffer and small messages, to see both limits act.
  server = await startTandem({ args: ['--room-grace', '2', '--client-buffer-mb', '2', '--max-message-mb', '1'] });
  await server.api('PUT', '/api/contents/room.ipynb', { type: 'notebook', format: 'json', content: makeNotebook([{ id: 'a', source: '' }]) });
});
afterAll(async () => {
  await server.stop();
});

const status = async () => (await (await fetch(`${server.base}/api/status`)).json()) as { rooms: number; connections: number };
const rooms = async () => (await status()).rooms;

test('an empty room stays loaded for its grace period, and a reconnect within it reuses the room', async () => {
  const first = await connectNotebook(server, 'room.ipynb');
  first.notebook.getCell(0).setSource('kept in the warm room');
  await eventually(async () =>
    expect((await (await server.api('GET', '/api/contents/room.ipynb')).json()).content.cells[0].source).toBe('kept in the warm room'),
  );
  first.destroy();
  // Once the server has seen the socket close, the room is empty: it must still be loaded.
  await eventually(async () => expect((await status()).connections).toBe(0));
  expect(await rooms()).toBe(1);
  const second = await connectNotebook(server, 'room.ipynb');
  expect(second.notebook.getCell(0).getSource()).toBe('kept in the warm room');
  second.destroy();
  await eventually(async () => expect(await rooms()).toBe(0), 10_000);
  const third = await connectNotebook(server, 'room.ipynb');
  expect(third.notebook.getCell(0).getSource()).toBe('kept in the warm room');
  third.destroy();
});

test('a client that stops reading is disconnected once its send buffer passes the limit', async () => {
  const { fileId, sessionId } = await openSession(server, 'room.ipynb');
  const writer = await connectNotebook(server, 'room.ipynb');
  const stalled = await openRaw(roomUrl(server, fileId, sessionId));
  stalled.send(syncStep1());
  await eventually(() => expect(stalled.framesOf(0).length).toBeGreaterThan(0));
  // Stop reading: frames pile up in the kernel's socket buffers, then in the server's.
  (stalled.socket as unknown as { _socket: { pause(): void } })._socket.pause();
  const chunk = 'x'.repeat(400 * 1024);
  for (let i = 0; i < 80; i++) {
    writer.notebook.getCell(0).updateSource(0, 0, chunk);
    await new Promise((r) => setTimeout(r, 20));
  }
  (stalled.socket as unknown as { _socket: { resume(): void } })._socket.resume();
  // Terminated, not closed: a close frame would wait behind the queue it is meant to free.
  const closed = await stalled.closed;
  expect(closed.code).toBe(1006);
  // The writer was not affected.
  expect(writer.provider.wsconnected).toBe(true);
  writer.destroy();
});
