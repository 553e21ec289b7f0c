import { userInfo } from 'node:os';
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as Y from 'yjs';
import { connectNotebook, eventually, openSession } from '../helpers/clients';
import { makeNotebook } from '../helpers/notebooks';
import { docFromFrames, openRaw, permissionDeniedReason, roomUrl, syncMessage, syncStep1 } from '../helpers/raw-socket';
import { startTandem, type TandemProcess } from '../helpers/tandem';

let server: TandemProcess;
let viewerToken: string;
let runnerToken: string;

beforeAll(async () => {
  server = await startTandem();
  for (const [path, source] of [
    ['shared.ipynb', 'print("hello")'],
    ['private.ipynb', 'secret = 42'],
  ]) {
    const response = await server.api('PUT', `/api/contents/${path}`, {
      type: 'notebook',
      format: 'json',
      content: makeNotebook([{ id: 'only', source }]),
    });
    expect(response.status).toBe(201);
  }
  const share = async (role: string) => {
    const response = await server.api('POST', '/api/shares', { path: 'shared.ipynb', role });
    expect(response.status).toBe(201);
    return (await response.json()) as { token: string; url: string; role: string; path: string };
  };
  const viewer = await share('viewer');
  expect(viewer.role).toBe('viewer');
  expect(viewer.path).toBe('shared.ipynb');
  expect(viewer.url).toMatch(/\/notebooks\/shared\.ipynb\?token=/);
  viewerToken = viewer.token;
  runnerToken = (await share('runner')).token;
});
afterAll(async () => {
  await server.stop();
});

async function liveSource(): Promise<string> {
  const model = await (await server.api('GET', '/api/contents/shared.ipynb')).json();
  return model.content.cells[0].source;
}

/** A read-only socket tries to write with the given sync step; returns what it was told. */
async function attemptWrite(token: string, step: 1 | 2): Promise<string | undefined> {
  const session = await openSession(server, 'shared.ipynb', token);
  const raw = await openRaw(roomUrl(server, session.fileId, session.sessionId, token));
  raw.send(syncStep1());
  await eventually(() => expect(raw.framesOf(0).some((f) => f[1] === 1)).toBe(true));
  const doc = docFromFrames(raw.frames);
  const before = Y.encodeStateVector(doc);
  const cell = doc.getArray<Y.Map<unknown>>('cells').get(0);
  (cell.get('source') as Y.Text).insert(0, 'import os; os.remove("/")  # ');
  raw.send(syncMessage(step, Y.encodeStateAsUpdate(doc, before)));
  await eventually(() => expect(raw.framesOf(2).length).toBeGreaterThan(0));
  raw.close();
  return permissionDeniedReason(raw.framesOf(2)[0]);
}

test('a viewer cannot change the notebook by sending sync step 2', async () => {
  const reason = await attemptWrite(viewerToken, 1);
  expect(reason).toMatch(/read-only/);
  expect(await liveSource()).toBe('print("hello")');
});

test('a viewer cannot change the notebook by sending an update', async () => {
  const reason = await attemptWrite(viewerToken, 2);
  expect(reason).toMatch(/read-only/);
  expect(await liveSource()).toBe('print("hello")');
});

test('a runner cannot change the notebook either', async () => {
  const reason = await attemptWrite(runnerToken, 2);
  expect(reason).toMatch(/read-only/);
  expect(await liveSource()).toBe('print("hello")');
});

test("a viewer's provider receives live edits, and its own edits stay local", async () => {
  const editor = await connectNotebook(server, 'shared.ipynb');
  const viewer = await connectNotebook(server, 'shared.ipynb', { token: viewerToken });
  editor.notebook.getCell(0).updateSource(0, 0, '# live\n');
  await eventually(() => expect(viewer.notebook.getCell(0).getSource()).toBe('# live\nprint("hello")'));
  // The server answers the viewer's update with a y-protocols permission-denied message (type 2):
  // once it has, the update was judged, and must have changed nothing.
  const denied = new Promise<void>((resolve) => {
    viewer.provider.ws!.addEventListener('message', (event: { data: unknown }) => {
      if (event.data instanceof ArrayBuffer && new Uint8Array(event.data)[0] === 2) resolve();
    });
  });
  viewer.notebook.getCell(0).updateSource(0, 0, 'HACKED ');
  await denied;
  expect(editor.notebook.getCell(0).getSource()).toBe('# live\nprint("hello")');
  expect(await liveSource()).toBe('# live\nprint("hello")');
  editor.notebook.getCell(0).updateSource(0, 7, '');
  await eventually(async () => expect(await liveSource()).toBe('print("hello")'));
  editor.destroy();
  viewer.destroy();
});

test('a viewer cannot reach another notebook', async () => {
  const other = await openSession(server, 'private.ipynb');
  const asViewer = (method: string, path: string, body?: unknown) => server.api(method, path, body, viewerToken);
  expect((await asViewer('PUT', '/api/collaboration/session/private.ipynb', { format: 'json', type: 'notebook' })).status).toBe(403);
  expect((await asViewer('GET', '/api/contents/private.ipynb')).status).toBe(403);
  expect((await asViewer('GET', '/api/contents')).status).toBe(403);
  expect((await asViewer('GET', '/files/private.ipynb')).status).toBe(403);
  await expect(openRaw(roomUrl(server, other.fileId, other.sessionId, viewerToken))).rejects.toThrow(/403/);
  // Its own notebook it can read.
  expect((await asViewer('GET', '/api/contents/shared.ipynb')).status).toBe(200);
});

test('a viewer cannot write through the contents API', async () => {
  const asViewer = (method: string, path: string, body?: unknown) => server.api(method, path, body, viewerToken);
  const model = await (await asViewer('GET', '/api/contents/shared.ipynb')).json();
  model.content.cells[0].source = 'overwritten';
  expect((await asViewer('PUT', '/api/contents/shared.ipynb', { type: 'notebook', format: 'json', content: model.content })).status).toBe(403);
  expect((await asViewer('DELETE', '/api/contents/shared.ipynb')).status).toBe(403);
  expect((await asViewer('PATCH', '/api/contents/shared.ipynb', { path: 'moved.ipynb' })).status).toBe(403);
  expect((await asViewer('POST', '/api/contents', { type: 'notebook' })).status).toBe(403);
  expect((await asViewer('POST', '/api/shares', { path: 'shared.ipynb', role: 'editor' })).status).toBe(403);
  expect(await liveSource()).toBe('print("hello")');
});

test("viewers are counted in the room's awareness rather than shown one by one", async () => {
  const editor = await connectNotebook(server, 'shared.ipynb');
  const viewers = await Promise.all([1, 2, 3].map(() => connectNotebook(server, 'shared.ipynb', { token: viewerToken })));
  for (const [i, v] of viewers.entries()) v.provider.awareness.setLocalStateField('user', { name: `viewer ${i}` });
  const roomState = () => [...editor.provider.awareness.getStates().values()].find((s) => s.room !== undefined) as { room: { viewers: number } } | undefined;
  await eventually(() => expect(roomState()?.room.viewers).toBe(3));
  await new Promise((r) => setTimeout(r, 300));
  const names = [...editor.provider.awareness.getStates().values()].map((s) => (s.user as { name?: string } | undefined)?.name);
  expect(names.filter((n) => n?.startsWith('viewer'))).toEqual([]);
  for (const v of viewers) v.destroy();
  await eventually(() => expect(roomState()?.room.viewers).toBe(0));
  editor.destroy();
});

test('the names collaborators see come from the server, not from what a client claims', async () => {
  const honest = await connectNotebook(server, 'shared.ipynb');
  const impostor = await connectNotebook(server, 'shared.ipynb');
  impostor.provider.awareness.setLocalStateField('user', { name: 'The Owner', color: '#000000' });
  await eventually(() => {
    const seen = honest.provider.awareness.getStates().get(impostor.doc.clientID) as { user: Record<string, string> } | undefined;
    expect(seen?.user.role).toBe('owner');
    expect(seen?.user.name).toBe(userInfo().username);
    expect(seen?.user.username).toMatch(/^[0-9a-f]{16}$/);
  });
  honest.destroy();
  impostor.destroy();
});
