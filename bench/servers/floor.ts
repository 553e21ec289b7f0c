// The floor relay (bench/servers/floor-main.ts), started like the Node servers it bounds.
import { join } from 'node:path';
import { bundledPeer } from '../lib/bundle.js';
import { freePort, startProcess } from '../lib/spawn.js';
import { BENCH, REPO } from './paths.js';
import type { Launcher } from './types.js';

export const floor: Launcher = {
  flavor: 'floor',
  label: 'floor (relay)',
  unavailable: async () => null,
  async start(opts) {
    const port = opts.port || (await freePort());
    const proc = startProcess(process.execPath, [bundledPeer(join(BENCH, 'servers/floor-main.ts'))], {
      cwd: REPO,
      env: { HOST: '127.0.0.1', PORT: String(port) },
      logFile: opts.logFile,
    });
    await proc.waitFor(/floor listening on/, 20_000).catch(async (err) => {
      await proc.stop(500);
      throw err;
    });
    return {
      info: { flavor: 'floor', label: this.label, host: '127.0.0.1', port, token: '', pid: proc.pid },
      exited: proc.exited,
      stop: () => proc.stop(),
      kill: (signal) => proc.kill(signal),
    };
  },
};
