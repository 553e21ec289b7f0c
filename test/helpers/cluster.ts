// Several Tandem replicas in cluster mode on one machine, as the README runs them: one Redis,
// one shared root and state directory, one token, each replica on its own port.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeNotebook, type SimpleCell } from './notebooks';
import { type RedisServer, startRedis } from './redis';
import { removeRoot, type StartOptions, startTandem, type TandemProcess, tempRoot } from './tandem';

export interface TestCluster {
  redis: RedisServer;
  root: string;
  token: string;
  replicas: TandemProcess[];
  /** Starts one more replica on the same root, Redis and token. */
  add(options?: Partial<StartOptions>): Promise<TandemProcess>;
  writeNotebook(name: string, cells: SimpleCell[]): void;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  leaseSeconds?: number;
  args?: string[];
  env?: Record<string, string>;
  /** Another cluster's Redis, to start replicas on it again. */
  redis?: RedisServer;
  root?: string;
}

export async function startCluster(size: number, options: ClusterOptions = {}): Promise<TestCluster> {
  const redis = options.redis ?? (await startRedis());
  const root = options.root ?? tempRoot('tandem-cluster-');
  const token = `cluster-token-${Math.random().toString(36).slice(2)}`;
  const args = ['--redis', redis.url, '--lease', String(options.leaseSeconds ?? 2), '--warm-pool', '0', ...(options.args ?? [])];
  const replicas: TandemProcess[] = [];
  const add = async (extra: Partial<StartOptions> = {}) => {
    const replica = await startTandem({ root, token, args, env: options.env, ...extra });
    replicas.push(replica);
    return replica;
  };
  for (let i = 0; i < size; i++) await add();
  return {
    redis,
    root,
    token,
    replicas,
    add,
    writeNotebook(name, cells) {
      writeFileSync(join(root, name), JSON.stringify(makeNotebook(cells)));
    },
    async stop() {
      await Promise.all(replicas.map((replica) => replica.kill9()));
      await redis.stop();
      removeRoot(root);
    },
  };
}
