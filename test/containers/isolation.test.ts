// What a cell in a container kernel cannot reach (issue 16): the server's state directory,
// another notebook's folder, /root, the server's environment, anything outside its own folder
// for writing; and a fork bomb stops at the pids limit while the server serves on.

import { afterAll, beforeAll, expect, test } from 'vitest';
import { putNotebook, stdoutOf } from '../environments/support';
import { connectNotebook, type NotebookClient } from '../helpers/clients';
import { execute, outputsOf, waitForRun } from '../helpers/execution';
import { startTandem, type TandemProcess, tempRoot } from '../helpers/tandem';
import { containerArgs, kernelWritableFolder, prepareContainerImages } from './support';

let server: TandemProcess;
let client: NotebookClient;

/** Runs `source` in the notebook's kernel and returns what it printed. */
async function printed(source: string, timeoutMs = 60_000): Promise<string> {
  const id = `c${Math.random().toString(36).slice(2)}`;
  client.notebook.insertCell(client.notebook.cells.length, { cell_type: 'code', source, id } as never);
  const [queued] = await execute(server, client.fileId, [id]);
  const record = await waitForRun(client, queued.id, undefined, timeoutMs);
  if (record.status !== 'ok') throw new Error(`the run ended ${record.status}: ${record.message ?? ''}`);
  return stdoutOf(outputsOf(client, id)).trim();
}

const TRY = (what: string) => `
try:
    ${what}
    print("allowed")
except Exception as error:
    print("refused", type(error).__name__)
`;

beforeAll(async () => {
  const base = prepareContainerImages();
  const root = tempRoot();
  kernelWritableFolder(root, 'mine');
  kernelWritableFolder(root, 'theirs');
  server = await startTandem({ root, args: containerArgs(base), env: { TANDEM_SECRET_FOR_TEST: 'server-only' } });
  await putNotebook(server, 'theirs/secret.ipynb', [{ id: 's', source: '' }]);
  await putNotebook(server, 'mine/n.ipynb', [{ id: 'first', source: 'print("ready")' }]);
  client = await connectNotebook(server, 'mine/n.ipynb');
  const [queued] = await execute(server, client.fileId, ['first']);
  await waitForRun(client, queued.id, undefined, 60_000);
}, 15 * 60_000);
afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

test("a cell cannot read the server's state directory or another notebook's folder", async () => {
  expect(await printed(TRY(`open(${JSON.stringify(`${server.stateDir}/cookie-secret`)}).read()`))).toBe('refused FileNotFoundError');
  expect(await printed(TRY(`open(${JSON.stringify(`${server.root}/theirs/secret.ipynb`)}).read()`))).toBe('refused FileNotFoundError');
  expect(await printed(TRY('open("../theirs/secret.ipynb").read()'))).toBe('refused FileNotFoundError');
});

test('a cell cannot list /root', async () => {
  expect(await printed(TRY('import os; os.listdir("/root")'))).toBe('refused PermissionError');
});

test("a cell does not see the server's environment variables", async () => {
  expect(await printed('import os\nprint(sorted(k for k in os.environ if k.startswith("TANDEM")), "server-only" in str(os.environ))')).toBe('[] False');
});

test("a cell cannot write outside its notebook's folder, and can inside it", async () => {
  expect(await printed(TRY('open("/etc/evil", "w").write("x")'))).toMatch(/^refused (OSError|PermissionError)$/);
  expect(await printed(TRY('open("/usr/lib/python3/evil.py", "w").write("x")'))).toMatch(/^refused (OSError|PermissionError|FileNotFoundError)$/);
  expect(await printed(TRY('open("own-file.txt", "w").write("x")'))).toBe('allowed');
});

test('a fork bomb hits the pids limit, and the server stays up', async () => {
  // The bomb runs in a child of the kernel, so that the kernel's own threads are not what fails.
  const bomb = `
import subprocess, sys
code = """
import os, time
children = 0
try:
    for _ in range(5000):
        if os.fork() == 0:
            time.sleep(3)
            os._exit(0)
        children += 1
except OSError as error:
    print("stopped", type(error).__name__, children < 5000)
"""
print(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout.strip())
`;
  expect(await printed(bomb, 120_000)).toBe('stopped BlockingIOError True');
  expect((await server.api('GET', '/api/status')).status).toBe(200);
});
