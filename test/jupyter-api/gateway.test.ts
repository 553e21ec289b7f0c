// Jupyter Server 2.x in gateway mode (`jupyter server --gateway-url=<Tandem>`), the way
// Enterprise Gateway deployments run JupyterLab: its kernelspecs and kernels come from Tandem,
// and code sent through its own channels socket runs on Tandem's kernel. Jupyter Server is
// installed by .ci/run into /opt/tandem-jupyter (TANDEM_JUPYTER_VENV elsewhere); tests have no
// network, so without it this file is skipped, saying why.

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KernelManager, KernelSpecManager, ServerConnection } from '@jupyterlab/services';
import { afterAll, beforeAll, expect, test } from 'vitest';
import WebSocket from 'ws';
import { freePort, type Proc, startProcess, waitForHttp } from '../../bench/lib/spawn.js';
import { run, stdout } from '../helpers/jupyter';
import { startTandem, type TandemProcess, tempRoot } from '../helpers/tandem';

const VENV = process.env.TANDEM_JUPYTER_VENV ?? '/opt/tandem-jupyter';
const JUPYTER_SERVER = join(VENV, 'bin', 'jupyter-server');
const installed = existsSync(JUPYTER_SERVER);
if (!installed) console.warn(`Skipping the gateway test: no Jupyter Server at ${JUPYTER_SERVER} (.ci/run installs it there).`);

let tandem: TandemProcess;
let jupyter: Proc;
let settings: ServerConnection.ISettings;

beforeAll(async () => {
  if (!installed) return;
  tandem = await startTandem();
  const port = await freePort();
  const home = tempRoot('tandem-gateway-');
  for (const dir of ['config', 'data', 'runtime', 'root']) mkdirSync(join(home, dir), { recursive: true });
  const token = `jupyter-${Math.random().toString(36).slice(2)}`;
  jupyter = startProcess(
    JUPYTER_SERVER,
    [
      '--allow-root',
      '--no-browser',
      `--port=${port}`,
      '--ip=127.0.0.1',
      `--ServerApp.token=${token}`,
      `--ServerApp.root_dir=${join(home, 'root')}`,
      `--gateway-url=${tandem.base}`,
      `--GatewayClient.auth_token=${tandem.token}`,
    ],
    {
      cwd: home,
      env: { HOME: home, JUPYTER_CONFIG_DIR: join(home, 'config'), JUPYTER_DATA_DIR: join(home, 'data'), JUPYTER_RUNTIME_DIR: join(home, 'runtime') },
      logFile: join(home, 'jupyter-server.log'),
    },
  );
  await waitForHttp(`http://127.0.0.1:${port}/api/status?token=${token}`, 60_000, {}, jupyter);
  settings = ServerConnection.makeSettings({
    baseUrl: `http://127.0.0.1:${port}/`,
    wsUrl: `ws://127.0.0.1:${port}/`,
    token,
    appendToken: true,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
}, 120_000);
afterAll(async () => {
  await jupyter?.stop();
  await tandem?.stop();
});

test.skipIf(!installed)(
  'Jupyter Server in gateway mode lists, starts, runs and shuts down kernels on Tandem',
  async () => {
    const specs = new KernelSpecManager({ serverSettings: settings });
    await specs.refreshSpecs();
    expect(Object.keys(specs.specs!.kernelspecs)).toContain('python3');

    const kernels = new KernelManager({ serverSettings: settings });
    try {
      const kernel = await kernels.startNew({ name: 'python3' });
      // Gateway kernels keep the remote id: the kernel is Tandem's.
      const onTandem = await (await tandem.api('GET', '/api/kernels')).json();
      expect(onTandem.map((k: { id: string }) => k.id)).toContain(kernel.id);

      const result = await run(kernel, 'print(6*7)');
      expect(result.reply.content.status).toBe('ok');
      expect(stdout(result)).toBe('42\n');

      await kernel.shutdown();
      expect((await tandem.api('GET', `/api/kernels/${kernel.id}`)).status).toBe(404);
    } finally {
      kernels.dispose();
      specs.dispose();
    }
  },
  120_000,
);
