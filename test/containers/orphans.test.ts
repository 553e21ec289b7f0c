// A server killed with -9 cannot remove its kernel containers; started again on the same state
// directory (so with the same server id), it removes them before serving (issue 16).

import { afterAll, beforeAll, expect, test } from 'vitest';
import { putNotebook } from '../environments/support';
import { connectNotebook } from '../helpers/clients';
import { execute, waitForRun } from '../helpers/execution';
import { startTandem, type TandemProcess, tempRoot } from '../helpers/tandem';
import { containerArgs, containersLabelled, prepareContainerImages, serverIdOf } from './support';

let base: string;
let server: TandemProcess | undefined;

beforeAll(() => {
  base = prepareContainerImages();
}, 15 * 60_000);
afterAll(async () => {
  await server?.stop();
});

test('after kill -9 and a restart, no container of the killed server remains', async () => {
  server = await startTandem({ root: tempRoot(), args: containerArgs(base) });
  await putNotebook(server, 'n.ipynb', [{ id: 'c', source: 'print(1)' }]);
  const client = await connectNotebook(server, 'n.ipynb');
  const [run] = await execute(server, client.fileId, ['c']);
  expect((await waitForRun(client, run.id, undefined, 60_000)).status).toBe('ok');
  client.destroy();
  const label = `tandem.server=${serverIdOf(server.stateDir)}`;
  expect(containersLabelled(label)).toHaveLength(1);

  await server.kill9();
  // Nothing removed it: the container outlives the server that started it.
  expect(containersLabelled(label)).toHaveLength(1);
  server = await server.restart();
  // The restarted server answers only once its start-up (the clean-up among it) is done.
  expect(containersLabelled(label)).toEqual([]);
});

test("with the default warm pool, every container carries its notebook's label; shutdown removes them", async () => {
  // Warm containers are opt-in (--warm-containers): by default none is started ahead, so the
  // label contract (tandem.notebook=<fileId> on every container) holds.
  const args = containerArgs(base);
  args.splice(args.indexOf('--warm-pool'), 2);
  const own = await startTandem({ root: tempRoot(), args });
  await putNotebook(own, 'n.ipynb', [{ id: 'c', source: 'print(1)' }]);
  const client = await connectNotebook(own, 'n.ipynb');
  const [run] = await execute(own, client.fileId, ['c']);
  expect((await waitForRun(client, run.id, undefined, 60_000)).status).toBe('ok');
  client.destroy();
  const label = `tandem.server=${serverIdOf(own.stateDir)}`;
  expect(containersLabelled(label)).toHaveLength(1);
  expect(containersLabelled(`tandem.notebook=${client.fileId}`)).toEqual(containersLabelled(label));
  expect(await own.stop('SIGTERM')).toBe(0);
  expect(containersLabelled(label)).toEqual([]);
});
