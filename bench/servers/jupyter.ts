// Jupyter Server with jupyter-collaboration 5, from PyPI into a venv under bench/.work. It
// keeps its update store (SQLite) and saves the file, as a real deployment does. When pip
// cannot install it here, the run goes on without it and says so.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findKernelSpec } from '../../kernel-bridge/index.js';
import { freePort, startProcess, waitForHttp } from '../lib/spawn.js';
import { WORK } from './paths.js';
import type { Launcher } from './types.js';

const VENV = join(WORK, 'jupyter-venv');
const PY = join(VENV, 'bin/python');
const SERVER = join(VENV, 'bin/jupyter-server');
const REQUIREMENT = 'jupyter-collaboration>=5,<6';

let versions: string | null = null;

function installedVersions(): string | null {
  if (!existsSync(PY)) return null;
  const r = spawnSync(PY, ['-c', 'import jupyter_collaboration as c, jupyter_server as s; print(c.__version__, s.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Installs jupyter-collaboration into the venv if it is not there yet; returns why not, or null. */
function ensureInstalled(): string | null {
  versions ??= installedVersions();
  if (versions) return null;
  try {
    mkdirSync(WORK, { recursive: true });
    if (!existsSync(PY)) execFileSync('python3', ['-m', 'venv', VENV], { stdio: 'ignore', timeout: 120_000 });
    execFileSync(join(VENV, 'bin/pip'), ['install', '--quiet', REQUIREMENT], { stdio: 'ignore', timeout: 600_000 });
  } catch (err) {
    return `pip install ${REQUIREMENT} failed: ${(err as Error).message.split('\n')[0]}`;
  }
  versions = installedVersions();
  return versions ? null : 'jupyter-collaboration installed but does not import';
}

export const jupyter: Launcher = {
  flavor: 'jupyter',
  get label(): string {
    const [collab, server] = (versions ?? installedVersions() ?? '? ?').split(' ');
    return `jupyter-collaboration ${collab} (Jupyter Server ${server})`;
  },
  unavailable: async () => ensureInstalled(),
  async start(opts) {
    const port = opts.port || (await freePort());
    const token = randomBytes(16).toString('hex');
    const root = join(opts.workDir, 'root');
    const home = join(opts.workDir, 'jupyter');
    for (const d of [root, join(home, 'config'), join(home, 'data'), join(home, 'runtime')]) mkdirSync(d, { recursive: true });
    // Only the collaboration stack: no JupyterLab UI, terminals or language servers, which
    // would add memory that has nothing to do with documents.
    writeFileSync(
      join(home, 'config/jupyter_server_config.json'),
      JSON.stringify({
        ServerApp: {
          jpserver_extensions: { jupyterlab: false, jupyter_lsp: false, jupyter_server_terminals: false, notebook_shim: false },
        },
      }),
    );
    // The kernel jobs compare Tandem and Jupyter Server on one kernel: give Jupyter the python3
    // kernelspec Tandem finds (Debian's ipykernel). It goes on JUPYTER_PATH, which outranks
    // every other place; the user data directory would not, since jupyter_core prefers the
    // venv's own (and its ipykernel) when the server runs in a venv.
    const spec = await findKernelSpec('python3');
    if (spec) cpSync(spec.resourceDir, join(home, 'path/kernels/python3'), { recursive: true, dereference: true });
    const proc = startProcess(
      SERVER,
      [
        '--ServerApp.ip=127.0.0.1',
        `--ServerApp.port=${port}`,
        '--ServerApp.port_retries=0',
        '--ServerApp.open_browser=False',
        `--ServerApp.root_dir=${root}`,
        `--IdentityProvider.token=${token}`,
        '--allow-root', // CI and these machines run as root
      ],
      {
        cwd: home, // the SQLite update store goes into the working directory
        env: {
          JUPYTER_CONFIG_DIR: join(home, 'config'),
          JUPYTER_DATA_DIR: join(home, 'data'),
          JUPYTER_RUNTIME_DIR: join(home, 'runtime'),
          JUPYTER_PATH: join(home, 'path'),
        },
        logFile: opts.logFile,
      },
    );
    try {
      await waitForHttp(`http://127.0.0.1:${port}/api/status`, 60_000, { authorization: `token ${token}` }, proc);
    } catch (err) {
      await proc.stop(500);
      throw err;
    }
    return {
      info: { flavor: 'jupyter', label: this.label, host: '127.0.0.1', port, token, pid: proc.pid, root },
      exited: proc.exited,
      stop: () => proc.stop(),
      kill: (signal) => proc.kill(signal),
    };
  },
};
