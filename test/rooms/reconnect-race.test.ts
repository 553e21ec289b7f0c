// A client reconnecting with offline edits may send a new edit before its answer to the
// server's sync step 1 (a keystroke as the socket opens). That edit depends on the offline
// ones, still to come in the answer: the server waits for the answer instead of telling the
// person to reload. After the answer, an edit with a gap is refused as before.

import { afterAll, beforeAll, expect, test } from 'vitest';
import * as Y from 'yjs';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { makeNotebook } from '../helpers/notebooks';
import { docFromFrames, openRaw, permissionDeniedReason, roomUrl, syncMessage, syncStep1 } from '../helpers/raw-socket';
import { removeRoot, startTandem, type TandemProcess } from '../helpers/tandem';

let server: TandemProcess;
let watcher: NotebookClient;

beforeAll(async () => {
  server = await startTandem();
  await server.api('PUT', '/api/contents/race.ipynb', { type: 'notebook', format: 'json', content: makeNotebook([{ id: 'r', source: 'a = 1' }]) });
  watcher = await connectNotebook(server, 'race.ipynb');
});

afterAll(async () => {
  watcher?.destroy();
  await server?.stop();
  if (server) removeRoot(server.root);
});

function sourceText(doc: Y.Doc): Y.Text {
  return doc.getArray<Y.Map<unknown>>('cells').get(0).get('source') as Y.Text;
}

test('an edit sent before the reconnecting client’s sync answer is not refused, and arrives with the answer', async () => {
  // The client's copy, as it stood when it went offline.
  const first = await openRaw(roomUrl(server, watcher.fileId, watcher.sessionId));
  first.send(syncStep1());
  await eventually(() => expect(docFromFrames(first.frames).getArray('cells').length).toBe(1));
  const client = docFromFrames(first.frames);
  first.close();

  // Offline: one edit, then, as the socket reopens, another that continues from it.
  sourceText(client).insert(5, ' # offline');
  const afterOffline = Y.encodeStateVector(client);
  sourceText(client).insert(0, '# typed on reconnect\n');
  const typed = Y.encodeStateAsUpdate(client, afterOffline);

  const raw = await openRaw(roomUrl(server, watcher.fileId, watcher.sessionId));
  await eventually(() => expect(raw.framesOf(0).length).toBeGreaterThan(0));
  raw.send(syncMessage(2, typed)); // an update (y-protocols' message type 2)
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(raw.framesOf(2).map(permissionDeniedReason)).toEqual([]);

  // The answer to the server's step 1: everything the server lacks, the early edit included.
  raw.send(syncMessage(1, Y.encodeStateAsUpdate(client, Y.encodeStateVector(watcher.doc)))); // sync step 2
  await eventually(() => expect(watcher.notebook.getCell(0).getSource()).toBe('# typed on reconnect\na = 1 # offline'));

  // From now on a gap is refused, and said so.
  const ahead = new Y.Doc();
  Y.applyUpdate(ahead, Y.encodeStateAsUpdate(client));
  sourceText(ahead).insert(0, 'x');
  const skipped = Y.encodeStateVector(ahead);
  sourceText(ahead).insert(0, 'y');
  raw.send(syncMessage(2, Y.encodeStateAsUpdate(ahead, skipped)));
  await eventually(() => expect(raw.framesOf(2).map(permissionDeniedReason)[0]).toMatch(/depends on changes the server does not have/));
  raw.close();
});
