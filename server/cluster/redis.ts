// Connections to the cluster's Redis. ioredis, not the `redis` package: every command has a
// binary-safe twin (document updates are bytes), scripts run by hash with a fallback, and
// commands wait through a reconnect instead of failing (maxRetriesPerRequest: null), so a
// restarted Redis is a pause, not lost edits.

import { Redis } from 'ioredis';
import type { RoomLogger } from '../rooms/room';

/** How often one connection may log its errors while Redis is away. */
const ERROR_LOG_MS = 5000;

export function connectRedis(url: string, purpose: string, log: RoomLogger): Redis {
  const client = new Redis(url, {
    connectionName: `tandem-${purpose}`,
    maxRetriesPerRequest: null,
    lazyConnect: true,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  });
  let lastLogged = 0;
  // The URL may carry a password: only the error's own words are logged.
  client.on('error', (error: Error) => {
    if (Date.now() - lastLogged < ERROR_LOG_MS) return;
    lastLogged = Date.now();
    log.warn({ purpose, error: error.message }, 'redis connection problem; retrying');
  });
  return client;
}

/** A Lua script run by its hash, sent whole only when Redis does not know it yet. */
export class Script {
  private sha: string | undefined;

  constructor(private readonly lua: string) {}

  async run(redis: Redis, keys: string[], args: (string | number | Buffer | Uint8Array)[]): Promise<unknown> {
    const argv = args.map((arg) => (arg instanceof Uint8Array && !Buffer.isBuffer(arg) ? Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength) : arg));
    this.sha ??= (await redis.script('LOAD', this.lua)) as string;
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...(argv as (string | number | Buffer)[]));
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      // Redis restarted without the script cache.
      this.sha = (await redis.script('LOAD', this.lua)) as string;
      return redis.evalsha(this.sha, keys.length, ...keys, ...(argv as (string | number | Buffer)[]));
    }
  }
}

export const keys = {
  lease: (fileId: string) => `tandem:lease:${fileId}`,
  fence: (fileId: string) => `tandem:fence:${fileId}`,
  log: (fileId: string) => `tandem:log:${fileId}`,
  presence: (fileId: string) => `tandem:presence:${fileId}`,
  replica: (replicaId: string) => `tandem:replica:${replicaId}`,
  /** The live replicas, scored by when their registration expires. */
  replicas: 'tandem:replicas',
};
