// Warm kernel containers (issue 16): containers of the default image started ahead of time with
// an empty slot at their working directory. A new notebook's first run takes one: its folder is
// mounted onto the slot, the kernel changes into it, and the container is the notebook's alone.
// A notebook whose folder holds the state directory starts a container of its own instead.
// A server killed with -9 and started again leaves no slot mount and no container of its earlier
// run; shutdown removes the warm container and unmounts its slot. The test checks where the
// kernel came from and what it can reach, never how long it took.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { mountPointsUnder } from '../../kernel-bridge/containers/warm-slots';
import { kernelOf, putNotebook, stdoutOf } from '../environments/support';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { execute, outputsOf, waitForRun } from '../helpers/execution';
import { startTandem, type TandemProcess, tempRoot } from '../helpers/tandem';
import { containerArgs, containersLabelled, kernelWritableFolder, prepareContainerImages, serverIdOf } from './support';

let server: TandemProcess;
let serverLabel: string;
const clients: NotebookClient[] = [];

interface Inspected {
  Id: string;
  Name: string;
  Config: { Labels: Record<string, string> };
}

function inspect(ids: string[]): Inspected[] {
  if (!ids.length) return [];
  return JSON.parse(execFileSync('podman', ['container', 'inspect', ...ids], { encoding: 'utf8' })) as Inspected[];
}

async function pool(): Promise<{ size: number; ready: number }> {
  return (await (await server.api('GET', '/api/environments')).json()).pool;
}

function slotsDir(): string {
  return join(server.stateDir, 'container-slots');
}

/** Runs the notebook's one cell and returns what it printed. */
async function runOnce(path: string, source: string): Promise<{ client: NotebookClient; printed: string }> {
  await putNotebook(server, path, [{ id: 'c', source }]);
  const client = await connectNotebook(server, path);
  clients.push(client);
  const [queued] = await execute(server, client.fileId, ['c']);
  const record = await waitForRun(client, queued.id, undefined, 120_000);
  if (record.status !== 'ok') throw new Error(`the run ended ${record.status}: ${record.message ?? ''}`);
  return { client, printed: stdoutOf(outputsOf(client, 'c')) };
}

beforeAll(async () => {
  const base = prepareContainerImages();
  const root = tempRoot();
  const mine = kernelWritableFolder(root, 'mine');
  kernelWritableFolder(root, 'theirs');
  writeFileSync(join(mine, 'data.txt'), 'from the host\n');
  const args = containerArgs(base);
  args[args.indexOf('--warm-pool') + 1] = '1';
  args.push('--warm-containers', 'true');
  server = await startTandem({ root, args });
  serverLabel = `tandem.server=${serverIdOf(server.stateDir)}`;
  await putNotebook(server, 'theirs/secret.ipynb', [{ id: 's', source: '' }]);
  await eventually(async () => expect((await pool()).ready).toBe(1), 300_000, 250);
}, 15 * 60_000);
afterAll(async () => {
  for (const client of clients) client.destroy();
  await server?.stop();
});

test("a new notebook's first run takes a warm container, given the notebook's folder and nothing else", async () => {
  const [warm] = inspect(containersLabelled(serverLabel));
  expect(warm.Config.Labels).toMatchObject({ 'tandem.warm': 'true' });
  expect(warm.Config.Labels['tandem.notebook']).toBeUndefined();

  const source = [
    'import os',
    'print(os.getcwd())',
    'print(open("data.txt").read().strip())',
    'open("written.txt", "w").write("from the kernel\\n")',
    'print(sorted(os.listdir(".")))',
    `for path in ["../theirs/secret.ipynb", os.path.join(${JSON.stringify(server.root)}, "theirs", "secret.ipynb")]:`,
    '    try:',
    '        open(path).read()',
    '        print("allowed")',
    '    except OSError as error:',
    '        print("refused", type(error).__name__)',
  ].join('\n');
  const { client, printed } = await runOnce('mine/first.ipynb', source);
  expect(kernelOf(client).pooled).toBe(true);
  expect(printed).toBe(
    ['/home/tandem/work', 'from the host', "['data.txt', 'first.ipynb', 'written.txt']", 'refused FileNotFoundError', 'refused FileNotFoundError', ''].join(
      '\n',
    ),
  );
  // Written through the mount into the notebook's folder on the host, by the kernel's user as
  // in a container started cold (podman as root maps the image's uid 1000 to the host's).
  const written = join(server.root, 'mine', 'written.txt');
  expect(readFileSync(written, 'utf8')).toBe('from the kernel\n');
  expect(statSync(written).uid).toBe(1000);

  // The claimed container: renamed after the notebook (in the background), its claim recorded beside its slot.
  const claimed = await eventually(
    () => {
      const found = inspect(containersLabelled(serverLabel)).find((container) => container.Id === warm.Id);
      expect(found?.Name).toMatch(new RegExp(`^tandem-notebook-${client.fileId}-[0-9a-f]{12}$`));
      return found;
    },
    10_000,
    100,
  );
  expect(claimed?.Config.Labels).toMatchObject({ 'tandem.server': serverIdOf(server.stateDir), 'tandem.warm': 'true' });
  const slot = join(slotsDir(), warm.Name);
  expect(JSON.parse(readFileSync(`${slot}.json`, 'utf8'))).toMatchObject({ container: warm.Name, notebook: client.fileId, folder: join(server.root, 'mine') });
  expect(mountPointsUnder(slotsDir())).toContain(slot);
});

test('the pool refills, and the next new notebook gets a container of its own', async () => {
  await eventually(async () => expect(await pool()).toMatchObject({ size: 1, ready: 1 }), 120_000, 250);
  const { client, printed } = await runOnce('theirs/second.ipynb', 'import os\nprint(sorted(os.listdir(".")))');
  expect(kernelOf(client).pooled).toBe(true);
  expect(printed).toBe("['second.ipynb', 'secret.ipynb']\n");
  // Two kernels of two notebooks, and the pool's next warm one on its way.
  const names = inspect(containersLabelled(serverLabel)).map((container) => container.Name);
  expect(names.filter((name) => name.startsWith('tandem-notebook-'))).toHaveLength(2);
});

test('a notebook whose folder holds the state directory gets a container of its own, which hides it', async () => {
  await eventually(async () => expect((await pool()).ready).toBe(1), 120_000, 250);
  const { client, printed } = await runOnce('top.ipynb', 'import os\nprint(os.path.exists(".tandem/cookie-secret"))');
  expect(kernelOf(client).pooled).toBe(false);
  expect(printed).toBe('False\n');
  expect(existsSync(join(server.stateDir, 'cookie-secret'))).toBe(true);
  // The warm container is still there for the next notebook.
  expect((await pool()).ready).toBe(1);
});

test('after kill -9 and a restart, no slot mount and no container of the killed run remain', async () => {
  await eventually(async () => expect((await pool()).ready).toBe(1), 120_000, 250);
  const before = containersLabelled(serverLabel);
  const mountedBefore = mountPointsUnder(slotsDir());
  // The slots folder itself and the two claimed slots.
  expect(mountedBefore.length).toBeGreaterThanOrEqual(3);
  for (const client of clients.splice(0)) client.destroy();

  await server.kill9();
  expect(containersLabelled(serverLabel).length).toBe(before.length);
  server = await server.restart();
  // Started up: the earlier run's containers are gone, and so are its slot mounts.
  const now = containersLabelled(serverLabel);
  expect(now.filter((id) => before.some((old) => old.startsWith(id) || id.startsWith(old)))).toEqual([]);
  expect(mountPointsUnder(slotsDir())).toEqual([slotsDir()]);

  // The restarted server pools again, and its warm containers are claimable.
  await eventually(async () => expect((await pool()).ready).toBe(1), 300_000, 250);
  const { client } = await runOnce('mine/after-restart.ipynb', 'print(open("data.txt").read().strip())');
  expect(kernelOf(client).pooled).toBe(true);
});

test('shutdown removes the warm container, the claimed ones and every slot mount', async () => {
  await eventually(async () => expect((await pool()).ready).toBe(1), 120_000, 250);
  expect(containersLabelled(serverLabel).length).toBeGreaterThanOrEqual(2);
  expect(mountPointsUnder(slotsDir()).length).toBeGreaterThanOrEqual(2);
  for (const client of clients.splice(0)) client.destroy();
  expect(await server.stop('SIGTERM')).toBe(0);
  expect(containersLabelled(serverLabel)).toEqual([]);
  expect(mountPointsUnder(slotsDir())).toEqual([]);
});
