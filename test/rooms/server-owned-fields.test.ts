// Only the server writes outputs, execution counts and state, and its own maps (DESIGN.md
// section 3): a writer's update that touches them is refused whole and the writer is told,
// as a viewer is. Clearing outputs and moving cells, which carry outputs, still work.
import * as decoding from 'lib0/decoding';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { connectNotebook, eventually, type NotebookClient, openSession } from '../helpers/clients';
import { docFromFrames, openRaw, permissionDeniedReason, type RawSocket, roomUrl, syncMessage, syncStep1 } from '../helpers/raw-socket';
import { startTandem, type TandemProcess } from '../helpers/tandem';

const OUTPUTS = [
  { output_type: 'stream', name: 'stdout', text: 'hello\n' },
  { output_type: 'execute_result', execution_count: 4, data: { 'text/plain': '42' }, metadata: {} },
];

let server: TandemProcess;
let counter = 0;

beforeAll(async () => {
  server = await startTandem();
});
afterAll(async () => {
  await server.stop();
});

/** A fresh notebook (each test its own): a markdown cell, a cell that ran, a cell that did not. */
async function putNotebook(): Promise<string> {
  const path = `owned-${++counter}.ipynb`;
  const response = await server.api('PUT', `/api/contents/${path}`, {
    type: 'notebook',
    format: 'json',
    content: {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        { id: 'title', cell_type: 'markdown', metadata: {}, source: '# Title' },
        { id: 'ran', cell_type: 'code', metadata: {}, source: 'print("hello"); 42', outputs: OUTPUTS, execution_count: 4 },
        { id: 'fresh', cell_type: 'code', metadata: {}, source: 'x = 1', outputs: [], execution_count: null },
      ],
    },
  });
  expect(response.status).toBe(201);
  return path;
}

async function shareToken(path: string, role: 'editor' | 'owner'): Promise<string> {
  if (role === 'owner') return server.token;
  const response = await server.api('POST', '/api/shares', { path, role });
  expect(response.status).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

/** A bare socket that has synced the document: the writer of hand-made updates. */
async function joinRaw(path: string, token: string): Promise<{ raw: RawSocket; doc: Y.Doc }> {
  const session = await openSession(server, path, token);
  const raw = await openRaw(roomUrl(server, session.fileId, session.sessionId, token));
  raw.send(syncStep1());
  await eventually(() => expect(raw.framesOf(0).some((f) => f[1] === 1)).toBe(true));
  return { raw, doc: docFromFrames(raw.frames) };
}

const SCHEMA_ROOTS = new Set(['cells', 'meta', 'state', 'kernel', 'executions', 'queries']);

/** What a document holds apart from `state` (which saving changes): cells, the server's maps, any other top-level type. */
function contentOf(doc: Y.Doc) {
  return {
    unknownRoots: [...doc.share.keys()].filter((name) => !SCHEMA_ROOTS.has(name)),
    cells: doc.getArray('cells').toJSON(),
    kernel: doc.getMap('kernel').toJSON(),
    executions: doc.getMap('executions').toJSON(),
    queries: doc.getMap('queries').toJSON(),
  };
}

/** Everything the server's document holds, as a client joining now receives it. */
async function serverState(path: string) {
  const { raw, doc } = await joinRaw(path, server.token);
  raw.close();
  return contentOf(doc);
}

/**
 * Sends a hand-made change as a writer and expects it refused: the writer is told and stays
 * connected, the server's document is as it was, and a connected client never sees it (an
 * edit made after the refusal reaches it, so the refused change would have got there first).
 */
async function expectRefused(role: 'editor' | 'owner', change: (doc: Y.Doc) => void, reason: RegExp): Promise<void> {
  const path = await putNotebook();
  const observer = await connectNotebook(server, path);
  const before = await serverState(path);
  const observed = contentOf(observer.doc);
  const { raw, doc } = await joinRaw(path, await shareToken(path, role));
  const vector = Y.encodeStateVector(doc);
  doc.transact(() => change(doc));
  raw.send(syncMessage(2, Y.encodeStateAsUpdate(doc, vector)));
  await eventually(() => expect(raw.framesOf(2).length).toBeGreaterThan(0));
  expect(permissionDeniedReason(raw.framesOf(2)[0])).toMatch(reason);
  expect(raw.socket.readyState).toBe(WebSocket.OPEN);

  const writer = await connectNotebook(server, path);
  writer.notebook.getCell(0).updateSource(0, 0, 'marker ');
  await eventually(() => expect(observer.notebook.getCell(0).getSource()).toBe('marker # Title'));
  writer.notebook.getCell(0).updateSource(0, 7, '');
  await eventually(() => expect(observer.notebook.getCell(0).getSource()).toBe('# Title'));
  expect(contentOf(observer.doc)).toEqual(observed);
  expect(await serverState(path)).toEqual(before);
  raw.close();
  writer.destroy();
  observer.destroy();
}

const cellMap = (doc: Y.Doc, index: number) => doc.getArray<Y.Map<unknown>>('cells').get(index);

test("an editor's update that inserts an output is refused, and the editor told", async () => {
  await expectRefused(
    'editor',
    (doc) => {
      const forged = new Y.Map<unknown>([
        ['output_type', 'stream'],
        ['name', 'stdout'],
      ]);
      forged.set('text', new Y.Text('rm -rf done\n'));
      (cellMap(doc, 2).get('outputs') as Y.Array<unknown>).push([forged]);
    },
    /outputs is written only by the server/,
  );
});

test("an editor's update that changes an existing output is refused", async () => {
  await expectRefused('editor', (doc) => (cellMap(doc, 1).get('outputs') as Y.Array<Y.Map<unknown>>).get(1).set('data', { 'text/plain': '43' }), /outputs/);
});

test("an editor's update that sets an execution count is refused", async () => {
  await expectRefused('editor', (doc) => cellMap(doc, 2).set('execution_count', 99), /execution_count is written only by the server/);
});

test("an editor's update that sets a cell's execution state is refused", async () => {
  await expectRefused('editor', (doc) => cellMap(doc, 2).set('execution_state', 'running'), /execution_state/);
});

test("an editor's update that brings a new cell with outputs is refused", async () => {
  await expectRefused(
    'editor',
    (doc) => {
      const cell = new Y.Map<unknown>();
      cell.set('id', 'forged');
      cell.set('cell_type', 'code');
      cell.set('source', new Y.Text('1 + 1'));
      cell.set('metadata', new Y.Map());
      cell.set('execution_count', 1);
      cell.set(
        'outputs',
        Y.Array.from([
          new Y.Map<unknown>([
            ['output_type', 'execute_result'],
            ['data', { 'text/plain': '3' }],
          ]),
        ]),
      );
      doc.getArray('cells').push([cell]);
    },
    /new cell/,
  );
});

for (const name of ['kernel', 'executions', 'queries']) {
  test(`an editor's update that writes the ${name} map is refused`, async () => {
    await expectRefused('editor', (doc) => doc.getMap(name).set('forged', { status: 'ok' }), new RegExp(`the ${name} map is written only by the server`));
  });
}

test("an owner's update that adds a top-level type the schema does not name is refused", async () => {
  await expectRefused('owner', (doc) => doc.getText('anything').insert(0, 'smuggled'), /"anything" is not part of the notebook schema/);
});

/** Records the permission-denied messages a provider receives. */
function deniedTo(client: NotebookClient): string[] {
  const denied: string[] = [];
  client.provider.messageHandlers[2] = (_encoder, decoder) => {
    decoding.readVarUint(decoder);
    denied.push(decoding.readVarString(decoder));
  };
  return denied;
}

async function liveCells(path: string): Promise<Array<Record<string, unknown>>> {
  const model = await (await server.api('GET', `/api/contents/${path}`)).json();
  return model.content.cells;
}

test('an editor clears a cell’s outputs and count, and another client sees them go', async () => {
  const path = await putNotebook();
  const editor = await connectNotebook(server, path, { token: await shareToken(path, 'editor') });
  const observer = await connectNotebook(server, path);
  const denied = deniedTo(editor);
  expect(observer.notebook.getCell(1).toJSON()).toMatchObject({ outputs: OUTPUTS, execution_count: 4 });
  // As the browser client's Clear outputs does (client/src/lib/notebook/edits.ts).
  editor.doc.transact(() => {
    const cell = cellMap(editor.doc, 1);
    (cell.get('outputs') as Y.Array<unknown>).delete(0, OUTPUTS.length);
    cell.set('execution_count', null);
  });
  await eventually(() => expect(observer.notebook.getCell(1).toJSON()).toMatchObject({ outputs: [], execution_count: null }));
  await eventually(async () => expect((await liveCells(path))[1]).toMatchObject({ id: 'ran', outputs: [], execution_count: null }));
  expect(denied).toEqual([]);
  editor.destroy();
  observer.destroy();
});

test('an editor moves a cell that has outputs, and it keeps them for everyone', async () => {
  const path = await putNotebook();
  const editor = await connectNotebook(server, path, { token: await shareToken(path, 'editor') });
  const observer = await connectNotebook(server, path);
  const denied = deniedTo(editor);
  // @jupyter/ydoc deletes the cell and inserts a copy, outputs and all, in one transaction.
  editor.notebook.moveCell(1, 2);
  await eventually(() => expect(observer.notebook.cells.map((c) => c.getId())).toEqual(['title', 'fresh', 'ran']));
  expect(observer.notebook.getCell(2).toJSON()).toMatchObject({ outputs: OUTPUTS, execution_count: 4 });
  await eventually(async () => expect((await liveCells(path)).map((c) => c.id)).toEqual(['title', 'fresh', 'ran']));
  expect((await liveCells(path))[2]).toMatchObject({ outputs: OUTPUTS, execution_count: 4 });
  // The browser client moves by cloning the cell's map (edits.ts moveBlock): back up it goes.
  editor.doc.transact(() => {
    const cells = editor.doc.getArray<Y.Map<unknown>>('cells');
    const clone = cells.get(2).clone();
    cells.delete(2, 1);
    cells.insert(1, [clone]);
  });
  await eventually(() => expect(observer.notebook.cells.map((c) => c.getId())).toEqual(['title', 'ran', 'fresh']));
  expect(observer.notebook.getCell(1).toJSON()).toMatchObject({ outputs: OUTPUTS, execution_count: 4 });
  expect(denied).toEqual([]);
  editor.destroy();
  observer.destroy();
});

test("a move whose copy is stale (made while the server wrote the cell's outputs) ends with the server's outputs for everyone", async () => {
  const path = await putNotebook();
  const editor = await connectNotebook(server, path, { token: await shareToken(path, 'editor') });
  const observer = await connectNotebook(server, path);
  const denied = deniedTo(editor);
  // The copy carries outputs the server no longer holds, as one taken just before a new
  // output arrived would.
  editor.notebook.transact(() => {
    const json = editor.notebook.getCell(1).toJSON();
    editor.notebook.deleteCell(1);
    editor.notebook.insertCell(2, { ...json, outputs: [{ output_type: 'stream', name: 'stdout', text: 'stale\n' }], execution_count: 3 } as never);
  });
  await eventually(() => expect(observer.notebook.cells.map((c) => c.getId())).toEqual(['title', 'fresh', 'ran']));
  await eventually(() => expect(observer.notebook.getCell(2).toJSON()).toMatchObject({ outputs: OUTPUTS, execution_count: 4 }));
  await eventually(() => expect(editor.notebook.getCell(2).toJSON()).toMatchObject({ outputs: OUTPUTS, execution_count: 4 }));
  await eventually(async () => expect((await liveCells(path))[2]).toMatchObject({ id: 'ran', outputs: OUTPUTS, execution_count: 4 }));
  expect(denied).toEqual([]);
  editor.destroy();
  observer.destroy();
});
