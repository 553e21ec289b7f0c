// A viewer's large frames are refused from their first bytes: a viewer's update is never
// decoded (its content cannot matter) and an oversized presence frame is dropped unread, so
// neither stalls the rooms other people work in.
//
// Both frames below are malformed past their first bytes: a server that decoded them would
// close the viewer's socket with a protocol error; one that refuses them unread answers
// permission-denied (the update) or nothing (the presence) and keeps the socket open.

import * as encoding from 'lib0/encoding';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectNotebook, eventually, openSession } from '../helpers/clients';
import { makeNotebook } from '../helpers/notebooks';
import { openRaw, permissionDeniedReason, roomUrl, syncMessage, syncStep1 } from '../helpers/raw-socket';
import { startTandem, type TandemProcess } from '../helpers/tandem';

const MB = 1024 * 1024;
let server: TandemProcess;
let viewerToken: string;

beforeAll(async () => {
  server = await startTandem();
  for (const path of ['lecture.ipynb', 'bystander.ipynb']) {
    const response = await server.api('PUT', `/api/contents/${path}`, {
      type: 'notebook',
      format: 'json',
      content: makeNotebook([{ id: 'only', source: 'x = 1' }]),
    });
    expect(response.status).toBe(201);
  }
  const share = await server.api('POST', '/api/shares', { path: 'lecture.ipynb', role: 'viewer' });
  viewerToken = (await share.json()).token;
});
afterAll(async () => {
  await server.stop();
});

/** A sync-update frame of `size` bytes that is not a valid Yjs update past its first byte. */
function hugeBogusUpdate(size: number): Uint8Array {
  const payload = new Uint8Array(size).fill(0xff);
  payload[0] = 1;
  return syncMessage(2, payload);
}

/** A presence frame announcing one client whose state is `size` bytes of broken JSON. */
function hugeBogusPresence(size: number): Uint8Array {
  const inner = encoding.createEncoder();
  encoding.writeVarUint(inner, 1);
  encoding.writeVarUint(inner, 4242);
  encoding.writeVarUint(inner, 1);
  encoding.writeVarString(inner, `{"cursor": ${'['.repeat(size)}`);
  const outer = encoding.createEncoder();
  encoding.writeVarUint(outer, 1);
  encoding.writeVarUint8Array(outer, encoding.toUint8Array(inner));
  return encoding.toUint8Array(outer);
}

test("a viewer's large update and presence frames are refused unread while another room's edits flow", async () => {
  const writer = await connectNotebook(server, 'bystander.ipynb');
  const reader = await connectNotebook(server, 'bystander.ipynb');
  const session = await openSession(server, 'lecture.ipynb', viewerToken);
  const viewer = await openRaw(roomUrl(server, session.fileId, session.sessionId, viewerToken));
  try {
    viewer.send(syncStep1());
    await eventually(() => expect(viewer.framesOf(0).some((f) => f[1] === 1)).toBe(true));

    viewer.send(hugeBogusUpdate(24 * MB));
    viewer.send(hugeBogusPresence(24 * MB));
    writer.notebook.getCell(0).updateSource(0, 0, '# edited while a viewer pushed 48 MB\n');

    await eventually(() => expect(reader.notebook.getCell(0).getSource()).toContain('edited while a viewer pushed'), 30_000);
    await eventually(() => expect(viewer.framesOf(2).length).toBeGreaterThan(0), 30_000);
    expect(permissionDeniedReason(viewer.framesOf(2)[0])).toMatch(/read-only/);

    // The socket is still open and answered: neither frame was parsed as far as its errors.
    const before = viewer.framesOf(1).length;
    viewer.send(Uint8Array.of(3));
    await eventually(() => expect(viewer.framesOf(1).length).toBeGreaterThan(before), 30_000);
    expect(viewer.socket.readyState).toBe(viewer.socket.OPEN);

    const lecture = await (await server.api('GET', '/api/contents/lecture.ipynb')).json();
    expect([lecture.content.cells[0].source].flat().join('')).toBe('x = 1');
  } finally {
    viewer.close();
    writer.destroy();
    reader.destroy();
  }
});
