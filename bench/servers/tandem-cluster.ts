// Tandem in cluster mode, as the README runs it on one machine: one Redis, and three replicas
// (`serve --redis`) sharing one root, state directory and token, each on its own port. The load
// process reaches every replica (ServerInfo.replicas); the first is where rooms are opened, so
// it owns the notebooks of a run. Extra options (`--lease 2`) go to every replica.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TANDEM_BUNDLE } from '../lib/bundle.js';
import { killedPids, killStarted } from '../lib/replica-control.js';
import { startRedis } from './redis.js';
import { startTandem } from './tandem.js';
import type { Launcher, RunningServer } from './types.js';

export const CLUSTER_REPLICAS = 3;

function redisMissing(): string | null {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'redis-server is not installed (apt-get install redis-server)';
  }
}

export const tandemCluster: Launcher = {
  flavor: 'tandem-cluster',
  label: `Tandem, ${CLUSTER_REPLICAS} replicas`,
  unavailable: async () => (existsSync(TANDEM_BUNDLE) ? redisMissing() : `${TANDEM_BUNDLE} is missing: run npm run build:server`),
  async start(opts): Promise<RunningServer> {
    const redis = await startRedis(opts.workDir, join(opts.workDir, 'redis.log'));
    const root = join(opts.workDir, 'root');
    const token = randomBytes(16).toString('hex');
    const args = ['--redis', redis.url, ...(opts.args ?? [])];
    const replicas: RunningServer[] = [];
    const stopAll = async (): Promise<void> => {
      await Promise.all(replicas.map((r) => r.stop()));
      killStarted(opts.workDir);
      await redis.proc.stop();
    };
    try {
      // One after the other: replicas starting together on two cores only slow each other down.
      for (let i = 0; i < CLUSTER_REPLICAS; i++) {
        replicas.push(await startTandem({ workDir: opts.workDir, root, token, args, logFile: opts.logFile.replace(/\.log$/, `-${i}.log`) }));
      }
    } catch (err) {
      await stopAll();
      throw err;
    }
    const first = replicas[0].info;
    return {
      info: {
        ...first,
        flavor: 'tandem-cluster',
        label: this.label,
        replicas: replicas.map((r) => ({ host: r.info.host, port: r.info.port, pid: r.info.pid })),
        redisUrl: redis.url,
        pids: [...replicas.map((r) => r.info.pid), redis.proc.pid],
        serverArgs: args,
      },
      // A replica that exits is a crash unless the load process killed it (the failover run).
      exited: Promise.race(
        replicas.map(
          (r, i) =>
            new Promise<string>((resolve) => {
              void r.exited.then((code) => {
                if (!killedPids(opts.workDir).includes(r.info.pid)) resolve(`replica ${i}: ${code}`);
              });
            }),
        ),
      ),
      stop: stopAll,
      kill: (signal) => {
        for (const r of replicas) r.kill(signal);
      },
    };
  },
};
