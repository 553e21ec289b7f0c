// Each notebook runs in the environment its metadata declares: built once per specification,
// shared by every notebook that asks for the same, with the build visible to everyone and its
// failures explained. Packages come from wheels built here and installed with --no-index, so
// nothing depends on the network; the environments layer over Debian's Python, which already
// has ipykernel (the tests' default kernelspec).

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import type { KernelState } from '../../common/doc-schema';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { execute, outputsOf, waitForRun } from '../helpers/execution';
import { startTandem, type TandemProcess, tempRoot } from '../helpers/tandem';
import { buildsOf, kernelOf, putNotebook, setEnvironment, stdoutOf } from './support';
import { buildWheel } from './wheels';

const BUILD_MS = 180_000;
const offline = (...requirements: string[]) => ({ requirements: [...requirements, '--find-links ./wheels', '--no-index'] });
const printVersion = (module: string) => [{ id: 'v', source: `import ${module}\nprint(${module}.__version__)` }];

let server: TandemProcess;
let clients: NotebookClient[] = [];
/** The environment of tiny-pkg==1.2.3, built by the first test that needs it and reused after. */
let pinnedId: string | undefined;

async function open(path: string, token?: string): Promise<NotebookClient> {
  const client = await connectNotebook(server, path, token ? { token } : {});
  clients.push(client);
  return client;
}

async function runVersion(client: NotebookClient) {
  const [run] = await execute(server, client.fileId, ['v']);
  return waitForRun(client, run.id, undefined, BUILD_MS);
}

/** The id of tiny-pkg==1.2.3's environment, built here when no test before has built it. */
async function pinnedEnvironment(): Promise<string> {
  if (pinnedId) return pinnedId;
  await putNotebook(server, 'pinned-base.ipynb', printVersion('tiny_pkg'), offline('tiny-pkg==1.2.3'));
  const client = await open('pinned-base.ipynb');
  expect((await runVersion(client)).status).toBe('ok');
  pinnedId = kernelOf(client).environment!;
  return pinnedId;
}

beforeAll(async () => {
  const root = tempRoot();
  const wheels = join(root, 'wheels');
  for (const [dist, version] of [
    ['tiny-pkg', '1.2.3'],
    ['tiny-pkg', '2.0.0'],
    ['twin-pkg', '0.1.0'],
    ['third-pkg', '1.0.0'],
    ['third-pkg', '2.0.0'],
  ]) {
    buildWheel(wheels, dist, version);
  }
  server = await startTandem({ root, args: ['--warm-pool', '0', '--env-installer', 'pip'] });
});
afterEach(() => {
  for (const client of clients) client.destroy();
  clients = [];
});
afterAll(async () => {
  await server.stop();
});

test('a notebook whose environment pins a package imports it at that version, and a notebook without it cannot', async () => {
  await putNotebook(server, 'pinned.ipynb', printVersion('tiny_pkg'), offline('Tiny_Pkg == 1.2.3'));
  await putNotebook(server, 'plain.ipynb', printVersion('tiny_pkg'));
  const pinned = await open('pinned.ipynb');
  const plain = await open('plain.ipynb');

  expect((await runVersion(pinned)).status).toBe('ok');
  expect(stdoutOf(outputsOf(pinned, 'v'))).toBe('1.2.3\n');

  expect((await runVersion(plain)).status).toBe('error');
  expect(outputsOf(plain, 'v')[0]).toMatchObject({ output_type: 'error', ename: 'ModuleNotFoundError' });
  expect(kernelOf(plain).environment).toMatch(/^[0-9a-f]{24}$/);
  expect(kernelOf(plain).environment).not.toBe(kernelOf(pinned).environment);
  pinnedId = kernelOf(pinned).environment!;
});

test('a third notebook with the same specification reuses the environment: no second build, the same id', async () => {
  const id = await pinnedEnvironment();
  expect(buildsOf(server, id)).toBe(1);
  // Written differently, but the same specification once normalised.
  await putNotebook(server, 'third.ipynb', printVersion('tiny_pkg'), {
    requirements: ['--no-index', '  tiny-pkg==1.2.3', '--find-links=./wheels', 'tiny_pkg==1.2.3'],
  });
  const third = await open('third.ipynb');
  expect((await runVersion(third)).status).toBe('ok');
  expect(stdoutOf(outputsOf(third, 'v'))).toBe('1.2.3\n');
  expect(kernelOf(third).environment).toBe(id);
  expect(buildsOf(server, id)).toBe(1);

  const described = await (await server.api('GET', `/api/notebooks/${third.fileId}/environment`)).json();
  expect(described).toMatchObject({ kind: 'environment', id, status: 'built' });
  expect(described.built.packages).toContainEqual({ name: 'tiny-pkg', version: '1.2.3' });
});

test('two rooms asking for the same new environment at the same moment trigger one build', async () => {
  await putNotebook(server, 'twin-a.ipynb', printVersion('twin_pkg'), offline('twin-pkg==0.1.0'));
  await putNotebook(server, 'twin-b.ipynb', printVersion('twin_pkg'), offline('twin-pkg==0.1.0'));
  const [a, b] = await Promise.all([open('twin-a.ipynb'), open('twin-b.ipynb')]);
  const [recordA, recordB] = await Promise.all([runVersion(a), runVersion(b)]);
  expect([recordA.status, recordB.status]).toEqual(['ok', 'ok']);
  expect(stdoutOf(outputsOf(b, 'v'))).toBe('0.1.0\n');
  const id = kernelOf(a).environment!;
  expect(kernelOf(b).environment).toBe(id);
  expect(buildsOf(server, id)).toBe(1);
});

test('progress updates reach a viewer client during a build', async () => {
  await putNotebook(server, 'watched.ipynb', printVersion('tiny_pkg'), offline('tiny-pkg==2.0.0'));
  const share = await (await server.api('POST', '/api/shares', { path: 'watched.ipynb', role: 'viewer' })).json();
  const viewer = await open('watched.ipynb', share.token as string);
  const seen: KernelState[] = [];
  viewer.doc.getMap('kernel').observe(() => seen.push(kernelOf(viewer)));

  expect((await runVersion(viewer)).status).toBe('ok');
  const provisioning = seen.filter((state) => state.status === 'provisioning');
  expect(provisioning.length).toBeGreaterThan(1);
  expect(provisioning.some((state) => state.provisioning?.phase === 'Installing packages')).toBe(true);
  expect(provisioning.some((state) => Boolean(state.provisioning?.line))).toBe(true);
  const fractions = provisioning.map((state) => state.provisioning?.progress ?? 0);
  expect(fractions).toEqual([...fractions].sort((x, y) => x - y));
  expect(Math.max(...fractions)).toBeLessThanOrEqual(1);
  expect(kernelOf(viewer).provisioning).toBeUndefined();
  expect(stdoutOf(outputsOf(viewer, 'v'))).toBe('2.0.0\n');
});

test('a specification that cannot be installed shows the installer error, starts no kernel, and works once fixed', async () => {
  await putNotebook(server, 'broken.ipynb', printVersion('tiny_pkg'), offline('tiny-pkg==9.9.9'));
  const client = await open('broken.ipynb');
  const failed = await runVersion(client);
  expect(failed.status).toBe('failed');
  expect(failed.message).toContain('No matching distribution found for tiny-pkg==9.9.9');
  expect(kernelOf(client)).toMatchObject({ status: 'dead' });
  expect(kernelOf(client).message).toContain('No matching distribution found for tiny-pkg==9.9.9');
  // Nothing half made is left in the cache.
  const cache = readdirSync(join(server.stateDir, 'envs'));
  expect(cache).not.toContain(kernelOf(client).environment);
  expect(cache.filter((name) => name.startsWith('.staging-'))).toEqual([]);

  setEnvironment(client, offline('tiny-pkg==2.0.0'));
  expect((await server.api('POST', `/api/notebooks/${client.fileId}/restart`)).status).toBe(200);
  await eventually(() => expect(kernelOf(client).status).toBe('idle'), BUILD_MS);
  expect((await runVersion(client)).status).toBe('ok');
  expect(stdoutOf(outputsOf(client, 'v'))).toBe('2.0.0\n');
});

test('an invalid specification is reported clearly in the document, and nothing crashes', async () => {
  await putNotebook(server, 'invalid.ipynb', printVersion('tiny_pkg'), { requirements: ['pandas=2.0'] });
  const client = await open('invalid.ipynb');
  await eventually(() => expect(kernelOf(client).environmentError).toContain('use == to pin a version'));
  const failed = await runVersion(client);
  expect(failed.status).toBe('failed');
  expect(failed.message).toContain('metadata.tandem.environment');
  expect(kernelOf(client).status).toBe('dead');

  client.notebook.setMetadata('tandem', { environment: { requirements: 'tiny-pkg' } } as never);
  await eventually(() => expect(kernelOf(client).environmentError).toContain('requirements must be array'));
  expect((await server.api('GET', '/api/status')).status).toBe(200);
});

test('changing the specification under a running kernel offers a restart, and the restart uses the new environment', async () => {
  await putNotebook(server, 'change.ipynb', printVersion('third_pkg'), offline('third-pkg==1.0.0'));
  const client = await open('change.ipynb');
  expect((await runVersion(client)).status).toBe('ok');
  expect(stdoutOf(outputsOf(client, 'v'))).toBe('1.0.0\n');
  const before = kernelOf(client).environment;

  setEnvironment(client, offline('third-pkg==2.0.0'));
  const pending = await eventually(() => {
    const wanted = kernelOf(client).pendingEnvironment;
    expect(wanted).toMatch(/^[0-9a-f]{24}$/);
    expect(wanted).not.toBe(before);
    return wanted!;
  });
  expect(kernelOf(client).status).toBe('idle');

  expect((await server.api('POST', `/api/notebooks/${client.fileId}/restart`)).status).toBe(200);
  await eventually(() => {
    expect(kernelOf(client)).toMatchObject({ status: 'idle', environment: pending });
    expect(kernelOf(client).pendingEnvironment).toBeUndefined();
  }, BUILD_MS);
  expect((await runVersion(client)).status).toBe('ok');
  expect(stdoutOf(outputsOf(client, 'v'))).toBe('2.0.0\n');
});

test('an editor opening a notebook whose own environment is built gets its kernel started ahead of the first run', async () => {
  const id = await pinnedEnvironment();
  await putNotebook(server, 'prestarted.ipynb', printVersion('tiny_pkg'), offline('tiny-pkg==1.2.3'));
  const client = await open('prestarted.ipynb');
  await eventually(() => expect(kernelOf(client)).toMatchObject({ status: 'idle', environment: id, pooled: false }), 60_000);
  expect(client.doc.getMap('executions').size).toBe(0);
});
