import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { connectNotebook, eventually, type NotebookClient, openSession } from '../helpers/clients';
import { makeNotebook } from '../helpers/notebooks';
import { startTandem, type TandemProcess } from '../helpers/tandem';

const servers: TandemProcess[] = [];
const clients: NotebookClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => s.kill9()));
});

async function start(options?: Parameters<typeof startTandem>[0]) {
  const server = await startTandem(options);
  servers.push(server);
  return server;
}
async function connect(...args: Parameters<typeof connectNotebook>) {
  const client = await connectNotebook(...args);
  clients.push(client);
  return client;
}
async function seed(server: TandemProcess, path: string) {
  const response = await server.api('PUT', `/api/contents/${path}`, {
    type: 'notebook',
    format: 'json',
    content: makeNotebook([
      { id: 'first', source: 'a = 1' },
      { id: 'second', source: 'b = 2' },
    ]),
  });
  expect(response.status).toBe(201);
}

test('an edit another client has received survives kill -9 of the server, and the sessionId stays', async () => {
  const server = await start();
  await seed(server, 'durable.ipynb');
  const writer = await connect(server, 'durable.ipynb');
  const reader = await connect(server, 'durable.ipynb');
  writer.notebook.getCell(0).updateSource(5, 5, ' # kept');
  await eventually(() => expect(reader.notebook.getCell(0).getSource()).toBe('a = 1 # kept'), 10_000, 1);
  // Killed the moment the edit reached the other client: no time to save the .ipynb.
  await server.kill9();

  const again = await start({ root: server.root, token: server.token });
  const session = await openSession(again, 'durable.ipynb');
  expect(session.sessionId).toBe(writer.sessionId);
  expect(session.fileId).toBe(writer.fileId);
  const fresh = await connect(again, 'durable.ipynb');
  expect(fresh.notebook.getCell(0).getSource()).toBe('a = 1 # kept');
});

test('offline edits merge exactly once when the client reconnects after a server restart', async () => {
  const server = await start();
  await seed(server, 'offline.ipynb');
  const traveller = await connect(server, 'offline.ipynb');
  const stayer = await connect(server, 'offline.ipynb');

  traveller.provider.disconnect();
  traveller.notebook.insertCell(2, { cell_type: 'code', source: 'offline_cell()', id: 'offline' });
  traveller.notebook.getCell(0).updateSource(0, 0, '# on the train\n');
  stayer.notebook.getCell(1).updateSource(5, 5, ' + 40');
  await eventually(async () => {
    const live = await (await server.api('GET', '/api/contents/offline.ipynb')).json();
    expect(live.content.cells[1].source).toBe('b = 2 + 40');
  });

  await server.kill9();
  const again = await start({ root: server.root, token: server.token, port: server.port });
  // Both clients come back to the restarted server with the state they hold.
  traveller.provider.connect();
  await eventually(() => expect(stayer.provider.wsconnected).toBe(true), 15_000);

  const watcher = await connect(again, 'offline.ipynb');
  await eventually(() => {
    const sources = watcher.notebook.cells.map((c) => c.getSource());
    expect(sources).toEqual(['# on the train\na = 1', 'b = 2 + 40', 'offline_cell()']);
    expect(traveller.notebook.toJSON()).toEqual(watcher.notebook.toJSON());
    expect(stayer.notebook.toJSON()).toEqual(watcher.notebook.toJSON());
  }, 15_000);
  await eventually(() => {
    const onDisk = JSON.parse(readFileSync(join(server.root, 'offline.ipynb'), 'utf8'));
    expect(onDisk.cells.map((c: { id: string }) => c.id)).toEqual(['first', 'second', 'offline']);
    expect(onDisk.cells[0].source.join('')).toBe('# on the train\na = 1');
  });
});

test('a client of a rebuilt history is told to reload instead of merging into duplicates', async () => {
  // jupyter-collaboration#594: cells duplicated after reconnect when the server's history
  // was rebuilt from the file and an old client merged its own into it.
  const server = await start();
  await seed(server, 'rebuilt.ipynb');
  const old = await connect(server, 'rebuilt.ipynb');
  old.notebook.getCell(0).updateSource(5, 5, ' # saved');
  await eventually(() => {
    const onDisk = JSON.parse(readFileSync(join(server.root, 'rebuilt.ipynb'), 'utf8'));
    expect(onDisk.cells[0].source.join('')).toBe('a = 1 # saved');
  });
  await server.stop();
  rmSync(join(server.stateDir, 'docs', old.fileId), { recursive: true, force: true });

  const again = await start({ root: server.root, token: server.token, port: server.port });
  const session = await openSession(again, 'rebuilt.ipynb');
  expect(session.fileId).toBe(old.fileId);
  expect(session.sessionId).not.toBe(old.sessionId);
  await eventually(() => {
    const last = old.closes.at(-1);
    expect(last?.code).toBe(1003);
    expect(JSON.parse(last!.reason)).toEqual({ reason: 'unknown_session', reloadable: true });
  }, 15_000);
  const fresh = await connect(again, 'rebuilt.ipynb');
  expect(fresh.notebook.cells.map((c) => c.getSource())).toEqual(['a = 1 # saved', 'b = 2']);
});
