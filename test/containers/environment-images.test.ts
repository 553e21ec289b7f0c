// Under the container runtime a notebook's environment is an image: the kernel image plus its
// requirements, tagged with the environment's id, built once and shared by every notebook with
// the same specification (issue 16). Wheels are built here and installed with --no-index, so
// the builds need no network.

import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { kernelOf, putNotebook, setEnvironment, stdoutOf } from '../environments/support';
import { buildWheel } from '../environments/wheels';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { execute, outputsOf, waitForRun } from '../helpers/execution';
import { startTandem, type TandemProcess, tempRoot } from '../helpers/tandem';
import { containerArgs, containersLabelled, imageExists, kernelWritableFolder, prepareContainerImages } from './support';

const BUILD_MS = 300_000;
const offline = (...requirements: string[]) => ({ requirements: [...requirements, '--find-links ./wheels', '--no-index'] });
const printVersion = [{ id: 'v', source: 'import tiny_pkg\nprint(tiny_pkg.__version__)' }];

let server: TandemProcess;
let clients: NotebookClient[] = [];

async function open(path: string): Promise<NotebookClient> {
  const client = await connectNotebook(server, path);
  clients.push(client);
  return client;
}

async function run(client: NotebookClient, cellId = 'v') {
  const [queued] = await execute(server, client.fileId, [cellId]);
  return waitForRun(client, queued.id, undefined, BUILD_MS);
}

/** How many builds of this image the server started, from its log. */
function buildsOf(image: string): number {
  return server
    .logs()
    .split('\n')
    .filter((line) => line.includes('"building an environment image"') && line.includes(`"image":"${image}"`)).length;
}

beforeAll(async () => {
  const base = prepareContainerImages();
  const root = tempRoot();
  for (const folder of ['one', 'two', 'broken']) {
    kernelWritableFolder(root, folder);
    buildWheel(`${root}/${folder}/wheels`, 'tiny-pkg', '1.2.3');
    buildWheel(`${root}/${folder}/wheels`, 'tiny-pkg', '2.0.0');
  }
  server = await startTandem({ root, args: containerArgs(base) });
}, 15 * 60_000);
afterEach(() => {
  for (const client of clients) client.destroy();
  clients = [];
});
afterAll(async () => {
  await server?.stop();
});

test('two notebooks with different requirements run in two containers with different packages, and the same specification reuses its image', async () => {
  await putNotebook(server, 'one/n.ipynb', printVersion, offline('tiny-pkg==1.2.3'));
  await putNotebook(server, 'two/n.ipynb', printVersion, offline('tiny-pkg==2.0.0'));
  const [one, two] = await Promise.all([open('one/n.ipynb'), open('two/n.ipynb')]);
  const [first, second] = await Promise.all([run(one), run(two)]);
  expect([first.status, second.status]).toEqual(['ok', 'ok']);
  expect(stdoutOf(outputsOf(one, 'v')).trim()).toBe('1.2.3');
  expect(stdoutOf(outputsOf(two, 'v')).trim()).toBe('2.0.0');
  const [oneContainer] = containersLabelled(`tandem.notebook=${one.fileId}`);
  const [twoContainer] = containersLabelled(`tandem.notebook=${two.fileId}`);
  expect(oneContainer).toBeDefined();
  expect(twoContainer).toBeDefined();
  expect(oneContainer).not.toBe(twoContainer);

  const image = `localhost/tandem-env:${kernelOf(one).environment}`;
  expect(buildsOf(image)).toBe(1);
  // Another notebook with the same specification (and so the same wheels) shares the image.
  await putNotebook(server, 'one/same.ipynb', printVersion, offline('tiny-pkg==1.2.3'));
  const same = await open('one/same.ipynb');
  expect((await run(same)).status).toBe('ok');
  expect(stdoutOf(outputsOf(same, 'v')).trim()).toBe('1.2.3');
  expect(kernelOf(same).environment).toBe(kernelOf(one).environment);
  expect(buildsOf(image)).toBe(1);
});

test("a failed image build shows the builder's error in the notebook, leaves no image, and fixing the specification works", async () => {
  await putNotebook(server, 'broken/n.ipynb', printVersion, offline('tiny-pkg==9.9.9'));
  const client = await open('broken/n.ipynb');
  const failed = await run(client);
  expect(failed.status).toBe('failed');
  expect(failed.message).toContain('tiny-pkg==9.9.9');
  expect(kernelOf(client).status).toBe('dead');
  const failedImage = `localhost/tandem-env:${kernelOf(client).environment}`;
  expect(kernelOf(client).message).toMatch(/Could not find a version that satisfies the requirement tiny-pkg==9\.9\.9/);

  setEnvironment(client, offline('tiny-pkg==2.0.0'));
  await eventually(() => expect(kernelOf(client).environmentError).toBeUndefined());
  expect(imageExists(failedImage)).toBe(false);
  expect((await server.api('POST', `/api/notebooks/${client.fileId}/restart`)).status).toBe(200);
  const fixed = await run(client);
  expect(fixed.status).toBe('ok');
  expect(stdoutOf(outputsOf(client, 'v')).trim()).toBe('2.0.0');
});
