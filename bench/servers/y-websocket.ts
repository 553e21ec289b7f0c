// The y-websocket 1.x reference server (bin/server.js), in memory, as `npx y-websocket` runs it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startProcess } from '../lib/spawn.js';
import { NODE_MODULES, REPO } from './paths.js';
import type { Launcher } from './types.js';

const PKG = join(NODE_MODULES, 'y-websocket-peer');
const version = (JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')) as { version: string }).version;

export const yWebsocket: Launcher = {
  flavor: 'y-websocket',
  label: `y-websocket ${version}`,
  unavailable: async () => null,
  async start(opts) {
    const port = opts.port || (await freePort());
    const proc = startProcess(process.execPath, [join(PKG, 'bin/server.js')], {
      cwd: REPO,
      env: { HOST: '127.0.0.1', PORT: String(port) },
      logFile: opts.logFile,
    });
    await proc.waitFor(/running at/, 20_000).catch(async (err) => {
      await proc.stop(500);
      throw err;
    });
    return {
      info: { flavor: 'y-websocket', label: this.label, host: '127.0.0.1', port, token: '', pid: proc.pid },
      exited: proc.exited,
      stop: () => proc.stop(),
      kill: (signal) => proc.kill(signal),
    };
  },
};
