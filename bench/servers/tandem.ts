// Starts Tandem through its command line (DESIGN.md section 4), as `npm start` runs it: Node on
// the bundle in dist/, started directly (not through npm, which would put a second process
// between us and the server: SIGKILL must reach the server itself, and /proc must read the
// server itself). The bench's entry points build the bundle first (bench/lib/bundle.ts).

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TANDEM_BUNDLE } from '../lib/bundle.js';
import { startProcess, waitForHttp } from '../lib/spawn.js';
import { REPO } from './paths.js';
import type { Launcher, RunningServer, StartOptions } from './types.js';

export interface TandemStartOptions extends StartOptions {
  /** Reuse a root (restart after a kill); by default a fresh one under workDir. */
  root?: string;
  token?: string;
}

export async function startTandem(opts: TandemStartOptions): Promise<RunningServer> {
  const root = opts.root ?? join(opts.workDir, 'root');
  mkdirSync(root, { recursive: true });
  const token = opts.token ?? randomBytes(16).toString('hex');
  const proc = startProcess(
    process.execPath,
    // The state beside the root, in the run's folder: a fresh root starts from fresh state.
    [
      TANDEM_BUNDLE,
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      String(opts.port ?? 0),
      '--root',
      root,
      '--state-dir',
      join(root, '.tandem'),
      '--token',
      token,
      ...(opts.args ?? []),
    ],
    { cwd: REPO, logFile: opts.logFile },
  );
  try {
    const m = await proc.waitFor(/Tandem is running at http:\/\/([^\s/]+):(\d+)/, 60_000);
    const port = Number(m[2]);
    await waitForHttp(`http://127.0.0.1:${port}/api/status`, 30_000, { authorization: `token ${token}` }, proc);
    return {
      info: { flavor: 'tandem', label: 'Tandem', host: '127.0.0.1', port, token, pid: proc.pid, root },
      exited: proc.exited,
      stop: () => proc.stop(),
      kill: (signal) => proc.kill(signal),
    };
  } catch (err) {
    await proc.stop(500);
    throw err;
  }
}

export const tandem: Launcher = {
  flavor: 'tandem',
  label: 'Tandem',
  unavailable: async () => (existsSync(TANDEM_BUNDLE) ? null : `${TANDEM_BUNDLE} is missing: run npm run build:server`),
  start: (opts) => startTandem(opts),
};
