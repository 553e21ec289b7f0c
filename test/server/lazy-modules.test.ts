// A server on local disk loads only what serving notebooks needs: the cloud and warehouse
// clients (the AWS SDK, the Kubernetes client, Redis, Postgres, Arrow) cost tens of MB of
// resident memory each and are loaded when a feature first needs them (issue 21). A static
// import of one of them anywhere on the serving path shows up here.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test } from 'vitest';
import { putNotebook } from '../environments/support';
import { cleanedAfterEach } from '../helpers/cleanup';
import { connectNotebook, eventually } from '../helpers/clients';
import { startTandem, tempRoot } from '../helpers/tandem';

const REGISTER = resolve(import.meta.dirname, '../helpers/module-trace/register.mjs');
const LOADED_ON_FIRST_USE = [
  '@aws-sdk/',
  '@smithy/',
  '@kubernetes/client-node',
  'ioredis',
  'pg',
  'pg-cursor',
  'apache-arrow',
  '@electric-sql/pglite',
  'pino-pretty',
];

const left = cleanedAfterEach();

test('serving and editing a notebook from local disk loads none of the cloud or warehouse clients', async () => {
  const root = tempRoot();
  const traceDir = tempRoot('tandem-modules-');
  left.roots.push(root, traceDir);
  const traceFile = join(traceDir, 'modules.txt');
  const server = await startTandem({ root, env: { NODE_OPTIONS: `--import=${REGISTER}`, TANDEM_MODULE_TRACE: traceFile } });
  left.servers.push(server);
  await putNotebook(server, 'a.ipynb', [{ id: 'c', source: 'x = 1' }]);
  const client = await connectNotebook(server, 'a.ipynb');
  left.clients.push(client);
  // An edit, so that the notebook is written back (the save path handles a bucket's refusals).
  client.notebook.getCell(0).updateSource(0, 0, '# edited\n');
  await eventually(() => expect(readFileSync(join(root, 'a.ipynb'), 'utf8')).toContain('# edited'));
  expect((await server.api('GET', '/api/status')).status).toBe(200);

  const loaded = () => new Set(readFileSync(traceFile, 'utf8').split('\n').filter(Boolean));
  // The trace works: the packages every server needs are in it.
  await eventually(() => expect([...loaded()]).toEqual(expect.arrayContaining(['fastify', 'yjs'])));
  const heavy = [...loaded()].filter((specifier) =>
    LOADED_ON_FIRST_USE.some((name) => specifier === name || specifier.startsWith(name.endsWith('/') ? name : `${name}/`)),
  );
  expect(heavy).toEqual([]);
});
