import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { connectNotebook, eventually, type NotebookClient, openSession } from '../helpers/clients';
import { makeNotebook } from '../helpers/notebooks';
import { docFromFrames, openRaw, roomUrl, syncMessage, syncStep1 } from '../helpers/raw-socket';
import { startTandem, type TandemProcess } from '../helpers/tandem';

let server: TandemProcess;
let bystanderA: NotebookClient;
let bystanderB: NotebookClient;
let target: { fileId: string; sessionId: string };

beforeAll(async () => {
  server = await startTandem({ args: ['--max-message-mb', '1'] });
  for (const path of ['target.ipynb', 'bystander.ipynb']) {
    const response = await server.api('PUT', `/api/contents/${path}`, {
      type: 'notebook',
      format: 'json',
      content: makeNotebook([{ id: 'one', source: 'x = 1' }]),
    });
    expect(response.status).toBe(201);
  }
  target = await openSession(server, 'target.ipynb');
  bystanderA = await connectNotebook(server, 'bystander.ipynb');
  bystanderB = await connectNotebook(server, 'bystander.ipynb');
});
afterAll(async () => {
  bystanderA.destroy();
  bystanderB.destroy();
  await server.stop();
});

/** The other room still syncs edits between its two clients. */
async function otherRoomStillSyncs(): Promise<void> {
  const marker = `# still alive ${Math.random()}\n`;
  bystanderA.notebook.getCell(0).updateSource(0, 0, marker);
  await eventually(() => expect(bystanderB.notebook.getCell(0).getSource().startsWith(marker)).toBe(true));
  expect((await fetch(`${server.base}/api/status`)).status).toBe(200);
}

async function expectClosedFor(frame: Uint8Array, code: number): Promise<void> {
  const raw = await openRaw(roomUrl(server, target.fileId, target.sessionId));
  raw.send(frame);
  expect((await raw.closed).code).toBe(code);
}

test('a truncated frame closes only the socket that sent it', async () => {
  // Sync step 1 announcing a 10-byte state vector, cut off after 2 bytes.
  await expectClosedFor(Uint8Array.from([0, 0, 10, 1, 2]), 1002);
  await otherRoomStillSyncs();
});

test('random bytes close only the socket that sent them', async () => {
  for (let i = 0; i < 20; i++) {
    const raw = await openRaw(roomUrl(server, target.fileId, target.sessionId));
    raw.send(randomBytes(1 + Math.floor(Math.random() * 200)));
    raw.send(Uint8Array.from([0, 2, 5, 255, 255, 255, 255, 255]));
    const { code } = await raw.closed;
    expect([1002, 1003, 1007]).toContain(code);
  }
  await otherRoomStillSyncs();
});

test('an oversized frame is refused and closes only that socket', async () => {
  await expectClosedFor(new Uint8Array(2 * 1024 * 1024), 1009);
  await otherRoomStillSyncs();
});

test('thousands of connections opened and dropped leave the server serving', async () => {
  const url = roomUrl(server, target.fileId, target.sessionId);
  for (let batch = 0; batch < 10; batch++) {
    await Promise.all(
      Array.from(
        { length: 200 },
        (_, i) =>
          new Promise<void>((resolve) => {
            const socket = new WebSocket(url);
            socket.on('error', () => resolve());
            socket.on('open', () => {
              if (i % 2) socket.terminate();
              else socket.close();
              resolve();
            });
          }),
      ),
    );
  }
  await otherRoomStillSyncs();
  await eventually(async () => {
    const status = (await (await fetch(`${server.base}/api/status`)).json()) as { connections: number };
    expect(status.connections).toBe(2);
  });
});

test('a valid update that breaks the notebook schema is repaired before anyone sees it', async () => {
  const editor = await connectNotebook(server, 'target.ipynb');
  const raw = await openRaw(roomUrl(server, target.fileId, target.sessionId));
  raw.send(syncStep1());
  await eventually(() => expect(raw.framesOf(0).some((f) => f[1] === 1)).toBe(true));
  const doc = docFromFrames(raw.frames);
  const before = Y.encodeStateVector(doc);
  doc.transact(() => {
    const evil = new Y.Map<unknown>();
    evil.set('cell_type', 'evil');
    evil.set('id', '../../etc/passwd');
    evil.set('source', 'not a Y.Text');
    doc.getArray('cells').push([evil]);
  });
  raw.send(syncMessage(2, Y.encodeStateAsUpdate(doc, before)));
  await eventually(() => expect(editor.notebook.cells.length).toBe(2));
  const added = editor.notebook.getCell(1);
  expect(added.cell_type).toBe('raw');
  expect(added.getSource()).toBe('not a Y.Text');
  expect(added.getId()).toMatch(/^[a-zA-Z0-9-_]+$/);
  raw.close();
  editor.destroy();
});

test('an update nesting shared types thousands deep is refused before it reaches the notebook', async () => {
  const editor = await connectNotebook(server, 'target.ipynb');
  const raw = await openRaw(roomUrl(server, target.fileId, target.sessionId));
  raw.send(syncStep1());
  await eventually(() => expect(raw.framesOf(0).some((f) => f[1] === 1)).toBe(true));
  const doc = docFromFrames(raw.frames);
  const before = Y.encodeStateVector(doc);
  doc.transact(() => {
    // Built to overflow every recursive reader: toJSON, saving, Yjs's garbage collection.
    let map = new Y.Map<unknown>();
    (doc.getArray('cells').get(0) as Y.Map<unknown>).set('metadata', map);
    for (let i = 0; i < 20_000; i++) {
      const next = new Y.Map<unknown>();
      map.set('a', next);
      map = next;
    }
  });
  raw.send(syncMessage(2, Y.encodeStateAsUpdate(doc, before)));
  expect((await raw.closed).code).toBe(1002);
  editor.notebook.getCell(0).setSource('still saving');
  await eventually(async () => {
    const model = await (await server.api('GET', '/api/contents/target.ipynb')).json();
    expect(model.content.cells[0]).toMatchObject({ source: 'still saving', metadata: {} });
  });
  editor.destroy();
  await otherRoomStillSyncs();
});
