// @hocuspocus/server 4.x through bench/servers/hocuspocus-main.ts, with no extensions.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundledPeer } from '../lib/bundle.js';
import { freePort, startProcess } from '../lib/spawn.js';
import { BENCH, NODE_MODULES, REPO } from './paths.js';
import type { Launcher } from './types.js';

const version = (JSON.parse(readFileSync(join(NODE_MODULES, '@hocuspocus/server/package.json'), 'utf8')) as { version: string }).version;

export const hocuspocus: Launcher = {
  flavor: 'hocuspocus',
  label: `Hocuspocus ${version}`,
  unavailable: async () => null,
  async start(opts) {
    const port = opts.port || (await freePort());
    const proc = startProcess(process.execPath, [bundledPeer(join(BENCH, 'servers/hocuspocus-main.ts'))], {
      cwd: REPO,
      env: { HOST: '127.0.0.1', PORT: String(port) },
      logFile: opts.logFile,
    });
    await proc.waitFor(/hocuspocus listening on/, 20_000).catch(async (err) => {
      await proc.stop(500);
      throw err;
    });
    return {
      info: { flavor: 'hocuspocus', label: this.label, host: '127.0.0.1', port, token: '', pid: proc.pid },
      exited: proc.exited,
      stop: () => proc.stop(),
      kill: (signal) => proc.kill(signal),
    };
  },
};
